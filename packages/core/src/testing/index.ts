export {
  type AgentContractTarget,
  type AgentScenario,
  type AgentScenarioKind,
  type AgentUnderTest,
  readWritten,
  runAgentContract,
} from './agent-contract.js';
export {
  type CliCase,
  cliContractCase,
  type FinalJsonReply,
  finalJsonScript,
} from './cli-contract.js';
export { type Script, ScriptedAgent, untilAborted } from './scripted-agent.js';
export { runStoreContract, type StoreContractTarget } from './store-contract.js';
export { untilFileExists } from './until-file.js';
