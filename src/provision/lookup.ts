// Look-ups in a ResolvedMap for the references a form uses (`pipeline:`, `stage:`, `fields.*.field:`):
// a config key, a numeric amoCRM id, or (fields only) a field code.
import type { SpecEntity } from './spec.js';
import type { ResolvedField, ResolvedMap } from './types.js';

type Ref = string | number;

/** A field by key, then code (case-insensitive), then id. Undefined when the map does not know it. */
export function findResolvedField(resolved: ResolvedMap, entity: SpecEntity, ref: Ref): ResolvedField | undefined {
  const fields = resolved.fields[entity];
  if (typeof ref === 'number') return Object.values(fields).find((f) => f.id === ref);
  const byKey = fields[ref];
  if (byKey) return byKey;
  const upper = ref.toUpperCase();
  return Object.values(fields).find((f) => f.code?.toUpperCase() === upper || String(f.id) === ref);
}

/**
 * The (pipeline id, status id) pair for a form's `pipeline:` and `stage:`. Numbers pass through as ids
 * (142/143 are shared by every pipeline, so a status id is only meaningful with its pipeline).
 */
export function findResolvedStage(
  resolved: ResolvedMap,
  pipelineRef: Ref,
  stageRef?: Ref,
): { pipelineId: number; statusId?: number } | undefined {
  const pipeline =
    typeof pipelineRef === 'number'
      ? (Object.values(resolved.pipelines).find((p) => p.id === pipelineRef) ?? { id: pipelineRef, stages: {} })
      : resolved.pipelines[pipelineRef];
  if (!pipeline) return undefined;
  if (stageRef === undefined) return { pipelineId: pipeline.id };
  const statusId = typeof stageRef === 'number' ? stageRef : pipeline.stages[stageRef];
  return statusId === undefined ? undefined : { pipelineId: pipeline.id, statusId };
}
