/**
 * The run workflow's Lambda entry: the durable handler over this function's configuration.
 * (The workflow itself is in rollback-run.ts, which tests and local mode load with ports of
 * their own.)
 */
import { runWorkflowApp } from '../adapters/runs.js';
import { createRunHandler } from './rollback-run.js';

export const handler = createRunHandler(runWorkflowApp().ports);
