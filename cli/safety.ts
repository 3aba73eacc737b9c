/**
 * The seed's "Rollback Safety" for the CLI. The rules live in functions/core/safety.ts and the
 * ECR lookup in functions/adapters/ecr-images.ts, shared with the service's rollback runs (one
 * implementation); this module keeps the CLI's imports where they were.
 */
export { lookUpImage } from '../functions/adapters/ecr-images.js';
export * from '../functions/core/safety.js';
