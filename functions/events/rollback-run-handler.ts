/**
 * The run workflow's Lambda entry: the durable handler as composeRunWorkflow builds it.
 */
import { composeRunWorkflow } from './rollback-run.js';

export const handler = composeRunWorkflow();
