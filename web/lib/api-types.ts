/**
 * The page speaks the API's own contract: these are the types the routes answer with, inferred
 * from the zod schemas. Types only, so none of the server's code (zod among it) reaches the bundle.
 */
export type {
  ErrorResponse,
  JobEndEvent,
  JobList,
  JobListItem,
  JobResponse,
  JobStageEvent,
  JobStatus,
  OpenAiFunction,
  ToolExecutionView,
  ToolGenerationRequest,
  ToolList,
  ToolStage,
  ToolStatus,
  ToolSummaryView,
  ToolView,
} from '../../contract';
