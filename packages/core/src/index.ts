export type { Agent, AgentContext, PreviousResult, SprintInfo } from './agents/agent.js';
export { AGENT_NAMES, type AgentName } from './agents/agent-names.js';
export { AgentRegistry } from './agents/agent-registry.js';
export { NoopAgent, ShellAgent } from './agents/builtin-agents.js';
export {
  describePlannedModel,
  type ModelPlanInput,
  type ModelSource,
  type PlannedModel,
} from './agents/planned-model.js';
export {
  kebabKey,
  OPERATOR_AGENT_KEYS,
  SPRINT_AGENT_KEYS,
} from './agents/sprint-agent-keys.js';
export { sprintModel } from './agents/task-model.js';
export { gitCommitHook } from './hooks/git-commit-hook.js';
export type {
  AfterStepContext,
  HookContext,
  HookOutcome,
  HookPoint,
  SprintHook,
  StepHookContext,
} from './hooks/hook.js';
export { verifyHook } from './hooks/verify-hook.js';
export type { GithubIssueQuery } from './imports/github-issues.js';
export { GITHUB_API_URL, GITHUB_REPO_PATTERN } from './imports/github-issues.js';
export { type GithubToken, githubToken } from './imports/github-token.js';
export { type ImportFailureKind, ImportSourceError } from './imports/import-error.js';
export { type GithubImportResult, importGithubIssues } from './imports/import-github.js';
export {
  importM42Sprint,
  type M42ImportOptions,
  type M42ImportResult,
} from './imports/m42-import.js';
export { isM42WorkflowSprint } from './imports/m42-sprint.js';
export {
  AGENT_ERROR_KINDS,
  type AgentError,
  type AgentErrorKind,
  AgentErrorKindSchema,
  AgentErrorSchema,
  type AgentResult,
  type AgentResultInput,
  AgentResultSchema,
  addTokens,
  type FailureReaction,
  failedResult,
  failureReaction,
  type HumanNeeded,
  HumanNeededSchema,
  type TokenUsage,
  TokenUsageSchema,
  totalTokens,
  ZERO_TOKENS,
} from './model/agent-result.js';
export { formatDuration, parseDuration } from './model/duration.js';
export {
  formatIssue,
  IllegalTransitionError,
  InvalidOptionsError,
  InvalidSprintError,
  type Issue,
  type LockHolder,
  SprintError,
  type SprintErrorCode,
  SprintFinishedError,
  SprintLockedError,
  SprintLogLostError,
  SprintNotFoundError,
  TaskNotChangeableError,
  TaskNotFoundError,
  UnknownAgentError,
} from './model/errors.js';
export {
  type AgentActivity,
  AgentActivitySchema,
  type AttemptOutcome,
  type FallbackPricing,
  FallbackPricingSchema,
  type NewRunEvent,
  type RunEvent,
  RunEventSchema,
  type RunEventType,
  type StopReason,
  StopReasonSchema,
  type WorktreeStage,
} from './model/events.js';
export { plural } from './model/plural.js';
export {
  COMMON_TASK_FIELDS,
  PRIORITIES,
  type Priority,
  PrioritySchema,
  type RetryPolicy,
  RetryPolicySchema,
  type SprintConfig,
  SprintConfigSchema,
  type SprintDefinition,
  type SprintDefinitionInput,
  SprintDefinitionSchema,
  slugify,
  TASK_ID_PATTERN,
  TASK_TYPE_FIELDS,
  type Task,
  type TaskInput,
  TaskSchema,
  taskLabel,
} from './model/sprint.js';
export {
  type Attempt,
  AttemptSchema,
  applyEvent,
  applyEventInPlace,
  countTasks,
  estimatedCostUsd,
  fallbackPricing,
  initialState,
  isTaskReady,
  readyTasks,
  type SprintState,
  SprintStateSchema,
  type TaskCounts,
  type TaskState,
  TaskStateSchema,
} from './model/state.js';
export {
  canTransitionSprint,
  canTransitionTask,
  isFinalSprintStatus,
  SPRINT_STATUSES,
  SPRINT_TRANSITIONS,
  type SprintStatus,
  SprintStatusSchema,
  TASK_STATUSES,
  TASK_TRANSITIONS,
  type TaskStatus,
  TaskStatusSchema,
  transitionSprint,
  transitionTask,
} from './model/status.js';
export { sprintFolderName } from './model/task-info.js';
export { escapeControls, escapeControlsDeep } from './model/terminal-text.js';
export { findCycles, type TaskIssue, validateTasks } from './model/validate.js';
export { NOTIFICATION_VERSION, type Notification } from './notify/notification.js';
export {
  DEFAULT_NOTIFY_EVENTS,
  NOTIFY_EVENTS,
  type NotifyEvent,
  type NotifyTarget,
  NotifyTargetSchema,
} from './notify/notify-target.js';
export type { DeliveryPolicy } from './notify/retry-policy.js';
export type { DeliveryReport, NotifyOptions } from './notify/run-notifier.js';
export { SIGNATURE_HEADER, signBody, verifySignature } from './notify/signature.js';
export { notifyTamperingOnce } from './notify/tamper-notice.js';
export {
  type CostEstimate,
  DEFAULT_MODEL_PRICES,
  estimateCost,
  MODEL_PRICES_DATE,
  type ModelPrice,
} from './pricing/model-prices.js';
export { agentEnvironment } from './process/agent-env.js';
export { isProcessAlive } from './process/process-group.js';
export {
  endMarkedProcesses,
  markedProcesses,
  RUN_MARKER_ENV,
} from './process/process-tree.js';
export { afterStepResult, type HooksOutcome, runHooks } from './runner/hook-runner.js';
export { DEFAULT_RETRY } from './runner/retry.js';
export { pauseText } from './runner/run-end.js';
export type {
  ControlOptions,
  ControlOutcome,
  Progress,
  ProgressBase,
  ResumeOptions,
  RunOptions,
} from './runner/run-options.js';
export {
  type RunResult,
  RunResultSchema,
  type TaskRunResult,
  TaskRunResultSchema,
} from './runner/run-result.js';
export {
  DEFAULT_MAX_ITERATIONS,
  DEFAULT_TASK_TIMEOUT_MS,
  SprintRunner,
  type SprintRunnerOptions,
} from './runner/sprint-runner.js';
export {
  retryTask,
  skipTask,
  type TaskChange,
  type TaskChangeRequest,
} from './runner/task-control.js';
export type {
  AttemptNext,
  PreparedWorkspace,
  TaskWorkspace,
  TaskWorkspaces,
  WorkspaceOpenContext,
} from './runner/task-workspace.js';
export { REDACTED, Redactor, secretsOf } from './secrets/redactor.js';
export {
  CONFIG_KEYS,
  parseConfig,
  parseSprintDirectory,
  renderProgressYaml,
  renderSprintYaml,
  taskFromYaml,
  taskToYaml,
} from './stores/directory/index.js';
export {
  documentStatus,
  documentTasks,
  type ParsedSprintDocument,
  parseSprintDocument,
  sprintStatusFromDocument,
} from './stores/document/index.js';
export {
  EVENT_LOG,
  JournaledStore,
  RUN_LOG,
  type SprintBase,
  type SprintLocation,
} from './stores/journaled-store.js';
export { type HeldLockFile, holdLockFile } from './stores/lock-file.js';
export { MemoryStore } from './stores/memory-store.js';
export {
  PROGRESS_FILE,
  SPRINT_FILE,
  SprintDirectoryStore,
} from './stores/sprint-directory-store.js';
export { SprintDocumentStore } from './stores/sprint-document-store.js';
export type {
  AddTasksResult,
  ControlRequest,
  CreateSprintInput,
  LockInfo,
  SprintLock,
  SprintSnapshot,
  SprintStore,
  SprintSummary,
} from './stores/sprint-store.js';
export { type StorageFailure, storageFailure } from './stores/storage-failure.js';
export {
  AGENT_REQUIREMENTS,
  type AgentDiagnosis,
  AgentNotInstalledError,
  type AgentProbe,
  type AgentRequirement,
  diagnoseAgent,
  diagnoseAgents,
  missingAgentBinaries,
} from './workspace/agent-doctor.js';
export {
  type AgentFactory,
  buildAgentRegistry,
  builtinAgentFactories,
  defaultHooks,
  preflightAgents,
} from './workspace/agent-setup.js';
export {
  describeOverview,
  describeSprint,
  type PlannedTask,
  planRun,
  type SprintOverview,
  type SprintStatusBrief,
  type SprintStatusReport,
  sprintOverview,
} from './workspace/describe-sprint.js';
export {
  DEFAULT_SPRINTS_DIR,
  findLatestSprint,
  type OpenedSprint,
  openSprint,
} from './workspace/open-sprint.js';
export { SprintRootStore } from './workspace/sprint-root-store.js';
export {
  parseTasksFile,
  taskFromFields,
  unknownTaskAgentIssue,
} from './workspace/task-input.js';
export { type CleanResult, cleanSprint, cleanSprintWorktrees } from './worktrees/clean-sprint.js';
export { GitCommandError, git, gitText } from './worktrees/git.js';
export {
  type IntegrationOutcome,
  MergeQueue,
  type MergeQueueOptions,
} from './worktrees/merge-queue.js';
export { commitTaskWork, type TaskCommitInfo } from './worktrees/task-commit.js';
export {
  type WorktreeIsolationOptions,
  worktreeIsolation,
} from './worktrees/worktree-isolation.js';
export {
  type GitProject,
  locateGitProject,
  type TaskWorktree,
  WorktreeManager,
} from './worktrees/worktree-manager.js';
export { conflictResult, refComponent, taskBranch } from './worktrees/worktree-policy.js';
