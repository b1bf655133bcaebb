import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes, so a person can filter runs in the Temporal Web UI
 * (e.g. `ToolsmithClientId = "web-app" AND ToolsmithJobStatus = "failed"`).
 * Every server the workflows run on must have them registered: the embedded dev
 * server and the test environment register exactly this list.
 */
export const jobStatusKey = defineSearchAttributeKey('ToolsmithJobStatus', SearchAttributeType.KEYWORD);
export const jobStageKey = defineSearchAttributeKey('ToolsmithStage', SearchAttributeType.KEYWORD);
export const clientIdKey = defineSearchAttributeKey('ToolsmithClientId', SearchAttributeType.KEYWORD);
export const toolCountKey = defineSearchAttributeKey('ToolsmithToolCount', SearchAttributeType.INT);

export const toolsmithSearchAttributes = [jobStatusKey, jobStageKey, clientIdKey, toolCountKey] as const;
