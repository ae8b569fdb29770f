export { type AgentTestEnvOptions, codexTestEnv, findAgentBin } from './agent-envs.js';
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
  type FakeHttpRequest,
  type FakeHttpServer,
  scriptedReplies,
  sendJson,
  sse,
  startFakeHttp,
} from './fake-http.js';
export {
  type FakeOpenAIResponses,
  type ResponsesReply,
  type ResponsesScript,
  type ResponsesUsage,
  startFakeOpenAIResponses,
} from './fake-openai-responses.js';
