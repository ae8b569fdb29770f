/**
 * Pure functions that read and patch a Markdown sprint document (YAML front
 * matter, `### Phase N: <Name>` checkboxes under `## Tasks`). No filesystem
 * access: the document store reads and writes the files around them.
 */
export {
  appendDeferredItems,
  type FrontMatterValues,
  setFrontMatter,
  tickSteps,
} from './document-patches.js';
export {
  DOCUMENT_STATUSES,
  type DocumentStatus,
  documentStatus,
  sprintStatusFromDocument,
} from './document-status.js';
export { type DocumentStep, phaseType } from './document-steps.js';
export {
  documentTasks,
  type ParsedSprintDocument,
  parseSprintDocument,
} from './sprint-document.js';
