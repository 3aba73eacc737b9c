/**
 * The whole DeploymentStore port on DynamoDB: every read and every write, for the functions
 * that make all kinds of writes (the alarm path, the run workflow) and for tests. Every read
 * is a GetItem or a Query; every status change is a conditional write; every write that owes
 * a notification puts it in the outbox in the same transaction.
 */
import type { DeploymentStore } from '../../core/ports.js';
import { create, replay } from './create.js';
import { finish } from './finish.js';
import { emit, markRolledBack } from './mark-rolled-back.js';
import { deploymentReader } from './reads.js';
import type { Table } from './table.js';

/** Every read and every write of the deployment records over `table`. */
export function deploymentStore(table: Table): DeploymentStore {
  return {
    ...deploymentReader(table),
    create: (record, idempotency, options) => create(table, record, idempotency, options),
    replay: (idempotency) => replay(table, idempotency),
    finish: (id, change) => finish(table, id, change),
    markRolledBack: (rolledBack, options) => markRolledBack(table, rolledBack, options),
    emit: (events, options) => emit(table, events, options),
  };
}
