export { type AgentOptions, agentFactories } from './agent-factories.js';
