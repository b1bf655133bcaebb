export { toolGenerationJob } from './job-workflow';
