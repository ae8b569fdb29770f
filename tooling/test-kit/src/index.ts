export { agentContext } from './agent-context.js';
export {
  type AgentTestEnvOptions,
  codexTestEnv,
  findAgentBin,
  geminiTestEnv,
  opencodeTestEnv,
} from './agent-envs.js';
export {
  type AgentOverheadBench,
  type AgentOverheadSetup,
  benchAgentOverhead,
} from './agent-overhead.js';
export { type ClaudeTestEnvOptions, claudeTestEnv, findClaudeBin } from './claude-env.js';
export {
  type FakeAnthropic,
  type FakeReply,
  type FakeRequest,
  type FakeScript,
  type FakeUsage,
  startFakeAnthropic,
} from './fake-anthropic.js';
export {
  type FakeGemini,
  type GeminiReply,
  type GeminiScript,
  type GeminiUsage,
  startFakeGemini,
} from './fake-gemini.js';
export {
  type FakeGithub,
  type FakeGithubIssue,
  type FakeGithubOptions,
  type FakeGithubRepo,
  type FakeGithubRequest,
  type FakeRateLimit,
  startFakeGithub,
} from './fake-github.js';
export {
  type FakeHttpRequest,
  type FakeHttpServer,
  scriptedReplies,
  sendJson,
  sse,
  startFakeHttp,
} from './fake-http.js';
export {
  type ChatReply,
  type ChatScript,
  type ChatUsage,
  type FakeOpenAIChat,
  startFakeOpenAIChat,
} from './fake-openai-chat.js';
export {
  type FakeOpenAIResponses,
  type ResponsesReply,
  type ResponsesScript,
  type ResponsesUsage,
  startFakeOpenAIResponses,
} from './fake-openai-responses.js';
export { type OverheadVerdict, overheadVerdict } from './overhead-verdict.js';
export {
  findPostgresBin,
  type PostgresServer,
  type PostgresServerOptions,
  startPostgresServer,
} from './postgres-server.js';
