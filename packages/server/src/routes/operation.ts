import type { Handler, Hono } from 'hono';

/**
 * One route of the API as it is registered and documented: method, path
 * (OpenAPI style, `{id}`), and what the OpenAPI document says of it. The
 * route modules define their operations once; the app registers each
 * operation's handler at its path, and the OpenAPI document lists them.
 */
export interface Operation {
  method: 'get' | 'post';
  path: string;
  summary: string;
  description?: string;
  /** false: no token needed. */
  auth?: boolean;
  /** The request body's component name. */
  body?: string;
  bodyRequired?: boolean;
  /** status -> [description, component name or special body] */
  responses: Record<number, [string, string?]>;
  parameters?: unknown[];
}

/** Operations by their OpenAPI `operationId`. */
export type Operations = Record<string, Operation>;

export const ERRORS = {
  401: ['Missing or wrong bearer token', 'Problem'],
  404: ['No such sprint', 'Problem'],
  400: ['Malformed JSON', 'Problem'],
  413: ['Body over the size limit', 'Problem'],
  415: ['Body not JSON', 'Problem'],
  422: ['A field is invalid (named in `issues`)', 'Problem'],
  409: ['Conflict: the sprint is running, finished or in the wrong state', 'Problem'],
} as const satisfies Record<number, [string, string]>;

export const withBodyErrors = {
  400: ERRORS[400],
  413: ERRORS[413],
  415: ERRORS[415],
  422: ERRORS[422],
};

export const taskIdParam = {
  name: 'taskId',
  in: 'path',
  required: true,
  description: "The task's id in the sprint.",
  schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
};

/**
 * Registers the handlers of a module's operations: each at its operation's
 * method and path. Every operation must get its handler (checked when the
 * app is built), so nothing is documented that does not answer.
 */
export function handle<O extends Operations>(
  app: Hono,
  operations: O,
  handlers: { [K in keyof O]: Handler },
): void {
  for (const [id, op] of Object.entries(operations)) {
    const handler = handlers[id];
    if (!handler) throw new Error(`operation ${id} has no handler`);
    app.on(op.method.toUpperCase(), op.path.replace(/\{([^}]+)\}/g, ':$1'), handler);
  }
}
