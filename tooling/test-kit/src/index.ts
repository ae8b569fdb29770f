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
  type FakeGithub,
  type FakeGithubIssue,
  type FakeGithubOptions,
  type FakeGithubRepo,
  type FakeGithubRequest,
  type FakeRateLimit,
  startFakeGithub,
} from './fake-github.js';
