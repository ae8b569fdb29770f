export { type Script, ScriptedAgent, untilAborted } from './scripted-agent.js';
export { runStoreContract, type StoreContractTarget } from './store-contract.js';
