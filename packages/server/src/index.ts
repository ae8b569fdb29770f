export {
  type AgentSetup,
  type Api,
  type ApiDeps,
  createApi,
  createApp,
  type DescribeSprint,
} from './app.js';
export { bearerAuth, generateToken, isLoopback } from './auth.js';
export { DEFAULT_MAX_BODY_BYTES } from './body.js';
export { EventHub, type EventHubOptions } from './event-hub.js';
export { splitAllowlist } from './notify-allow.js';
export { buildOpenApiDocument } from './openapi.js';
export {
  ApiError,
  type ApiErrorCode,
  PROBLEM_MEDIA_TYPE,
  type Problem,
  ProblemSchema,
} from './problem.js';
export {
  AddTasksBodySchema,
  AddTasksResultSchema,
  CancelBodySchema,
  ControlOutcomeSchema,
  CreateSprintBodySchema,
  ResumeBodySchema,
  RunAcceptedSchema,
  RunBodySchema,
  SprintDetailSchema,
  SprintListSchema,
  TaskBodySchema,
} from './schemas.js';
export {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_ROOT,
  type RunningServer,
  ServerConfigError,
  type StartServerOptions,
  startServer,
} from './server.js';
export { type ActiveRun, SprintRuns } from './sprint-runs.js';
export { VERSION } from './version.js';
export { type AgentsConfig, DEFAULT_AGENTS, serverAgents } from './wiring.js';
