/**
 * The README's scenario, recorded over HTTP as its curl lines do: prod gets v2.0.0, then
 * v2.1.0 (with a migration), v2.1.0 is rolled back, and the redeploy of v2.0.0 is recorded
 * with rollbackOf. `extra` adds two environments the console shows beside it: staging with a
 * rollback still to make, and qa with an irreversible migration.
 */

const BASE = '/api/v1/platform/deployments';

export interface Scenario {
  good: { id: string };
  bad: { id: string };
  redeploy: { id: string };
  staging?: { previous: { id: string }; current: { id: string } };
  qa?: { id: string };
}

async function post(apiUrl: string, path: string, body: unknown): Promise<{ id: string }> {
  const response = await fetch(`${apiUrl}${BASE}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string };
}

const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

/** Records the scenario against the local API at `apiUrl`. */
export async function recordScenario(apiUrl: string, options: { extra?: boolean } = {}): Promise<Scenario> {
  const good = await post(apiUrl, '', {
    environment: 'prod',
    imageTag: 'v2.0.0-def5678',
    version: 'v2.0.0',
    commitSha: 'def5678',
    deployedAt: ago(120),
    pipelineRunUrl: 'https://ci.example.com/runs/41',
  });
  const bad = await post(apiUrl, '', {
    environment: 'prod',
    imageTag: 'v2.1.0-abc1234',
    version: 'v2.1.0',
    commitSha: 'abc1234',
    deployedAt: ago(60),
    pipelineRunUrl: 'https://ci.example.com/runs/42',
    notes: 'Adds the invoices view',
    migrations: [{ id: '0042_add_invoice_index', reversible: true, description: 'index for the invoices view' }],
  });
  await post(apiUrl, '/tag/v2.1.0-abc1234/rollback', { environment: 'prod', reason: '5xx rate above 2%' });
  const redeploy = await post(apiUrl, '', {
    environment: 'prod',
    imageTag: 'v2.0.0-def5678',
    version: 'v2.0.0',
    commitSha: 'def5678',
    rollbackOf: bad.id,
  });
  const scenario: Scenario = { good, bad, redeploy };
  if (options.extra) {
    const previous = await post(apiUrl, '', {
      environment: 'staging',
      imageTag: 'v1.0.0-aaa1111',
      version: 'v1.0.0',
      commitSha: 'aaa1111',
      deployedAt: ago(90),
    });
    const current = await post(apiUrl, '', {
      environment: 'staging',
      imageTag: 'v1.1.0-bbb2222',
      version: 'v1.1.0',
      commitSha: 'bbb2222',
      deployedAt: ago(30),
    });
    scenario.staging = { previous, current };
    scenario.qa = await post(apiUrl, '', {
      environment: 'qa',
      imageTag: 'v3.0.0-ccc3333',
      version: 'v3.0.0',
      commitSha: 'ccc3333',
      deployedAt: ago(10),
      migrations: [
        { id: '0050_drop_legacy_table', reversible: false, description: 'drops the legacy invoices table' },
        { id: '0051_add_column', reversible: true },
      ],
    });
  }
  return scenario;
}
