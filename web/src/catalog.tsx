// Pipelines, stages and managers by id (names from amoCRM), loaded once per page load.
import { createContext, useContext } from 'react';

export interface CatalogData {
  pipelines: { id: number; name: string; isMain: boolean; stages: { id: number; name: string }[] }[];
  users: Record<string, string>;
  dealPipelines: { pipelineId: number; deals: number }[];
}

export const CatalogCtx = createContext<CatalogData | undefined>(undefined);
export const useCatalog = () => useContext(CatalogCtx);

export function stageName(c: CatalogData | undefined, pipelineId: number, statusId: number): string {
  if (statusId === 142) return c?.pipelines.find((p) => p.id === pipelineId)?.stages.find((s) => s.id === 142)?.name ?? '✓ 142';
  return c?.pipelines.find((p) => p.id === pipelineId)?.stages.find((s) => s.id === statusId)?.name ?? String(statusId);
}
