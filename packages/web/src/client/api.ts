/** An HTTP answer that was not 2xx, with the problem's code and detail. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const KEY = 'sprint.token';

/**
 * The token lives in sessionStorage: it survives reloads in this tab, goes
 * when the tab closes, and is sent only as an Authorization header from
 * script. A cross-site page cannot set that header (the server answers no
 * CORS preflight), so it cannot act for the user; no cookie is involved.
 */
export const session = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (token: string) => sessionStorage.setItem(KEY, token),
  clear: () => sessionStorage.removeItem(KEY),
};

/** Calls the API with the session's token; throws a RequestError for a problem answer. */
export async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  token = session.get() ?? '',
): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await res.text();
  const value = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const issues = (value?.issues ?? []) as { field: string; message: string }[];
    const detail = [
      value?.detail ?? `HTTP ${res.status}`,
      ...issues.map((i) => `${i.field}: ${i.message}`),
    ];
    throw new RequestError(res.status, value?.code ?? 'HTTP', detail.join(' '));
  }
  return value as T;
}
