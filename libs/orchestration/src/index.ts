export { parseWorkflow, findCycle, WorkflowValidationError } from './workflow-template';
export type { WorkflowTemplate, WorkflowTask, WorkflowIssue } from './workflow-template';
export { builtinWorkflows, builtinWorkflowDir } from './builtin-workflows';
