// Workflows for engines that run one kiln pod or job per entry: the model, and one renderer per engine.
export { buildArgs, DEFAULT_RESOURCES, KILN_UID, POD_PATHS, quantity, taskId, workflowModel, type PodResources, type RetryPolicy, type WorkflowModel, type WorkflowOptions, type WorkflowTask } from './model.js';
export { argoWorkflow, argoYaml, ARGO_API_VERSION, type ArgoOptions } from './argo.js';
export { githubWorkflow, githubYaml, type GithubOptions } from './github.js';
