// Names for ids: pipelines with their stages in amoCRM's order, and managers (amoCRM users). Read from amoCRM
// through a source main.ts adapts from THE client, cached for five minutes; when amoCRM is unreachable the last
// good copy (or an empty catalog, so ids are shown) is used.
export interface CatalogStage {
  id: number;
  name: string;
  sort: number;
  color?: string;
}

export interface CatalogPipeline {
  id: number;
  name: string;
  isMain: boolean;
  /** Sorted by amoCRM's `sort`; the closing stages 142 (won) and 143 (lost) come last. */
  stages: CatalogStage[];
}

export interface Catalog {
  pipelines: CatalogPipeline[];
  users: Record<number, string>;
}

export interface CatalogSource {
  pipelines(): Promise<CatalogPipeline[]>;
  users(): Promise<{ id: number; name: string }[]>;
}

export const CATALOG_TTL_MS = 5 * 60_000;

export function createCatalog(source: CatalogSource | undefined, now: () => number = Date.now): () => Promise<Catalog> {
  let cached: { at: number; value: Catalog } | undefined;
  let inflight: Promise<Catalog> | undefined;
  const load = async (): Promise<Catalog> => {
    if (!source) return { pipelines: [], users: {} };
    const [pipelines, users] = await Promise.all([source.pipelines(), source.users().catch(() => [])]);
    const sorted = pipelines.map((p) => ({ ...p, stages: [...p.stages].sort((a, b) => closing(a.id) - closing(b.id) || a.sort - b.sort) }));
    return { pipelines: sorted, users: Object.fromEntries(users.map((u) => [u.id, u.name])) };
  };
  return async () => {
    if (cached && now() - cached.at < CATALOG_TTL_MS) return cached.value;
    inflight ??= load()
      .then((value) => {
        cached = { at: now(), value };
        return value;
      })
      .catch(() => cached?.value ?? { pipelines: [], users: {} })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };
}

const closing = (id: number) => (id === 142 || id === 143 ? 1 : 0);

/** The funnel's stage order for a pipeline: its open stages in order (won and lost are reported apart). */
export function openStages(p: CatalogPipeline): CatalogStage[] {
  return p.stages.filter((s) => s.id !== 142 && s.id !== 143);
}
