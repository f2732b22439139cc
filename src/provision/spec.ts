// The `account:` section of leadbridge.yaml: the pipelines, stages and custom fields a business needs.
// `leadbridge setup` compares it with the amoCRM account and creates what is missing (src/provision/).
// This module imports nothing from the app but zod, so config/ and provision/ can both use it.
import { z } from 'zod';

/** Status colours amoCRM accepts (fact sheet §7.5), plus the three defaults it hands out itself. */
export const STAGE_PALETTE = [
  '#fffeb2', '#fffd7f', '#fff000', '#ffeab2', '#ffdc7f', '#ffce5a', '#ffdbdb', '#ffc8c8', '#ff8f92',
  '#d6eaff', '#c1e0ff', '#98cbff', '#ebffb1', '#deff81', '#87f2c0', '#f9deff', '#f3beff', '#ccc8f9',
  '#eb93ff', '#f2f3f4', '#e6e8ea',
  '#99ccff', '#ffcc66', '#c1c1c1',
] as const;

/** Field types a config may declare (amoCRM's list minus the catalog-only ones, fact sheet §7.6). */
export const SPEC_FIELD_TYPES = [
  'text', 'numeric', 'checkbox', 'select', 'multiselect', 'date', 'url', 'textarea', 'radiobutton',
  'streetaddress', 'smart_address', 'birthday', 'legal_entity', 'date_time', 'tracking_data',
  'chained_list', 'monetary', 'file', 'multitext',
] as const;

export const SPEC_ENTITIES = ['leads', 'contacts', 'companies'] as const;
export type SpecEntity = (typeof SPEC_ENTITIES)[number];

/** Types that carry a list of options (`enums:`). */
export const ENUM_FIELD_TYPES: readonly string[] = ['select', 'multiselect', 'radiobutton'];

// Which entity may hold which type (fact sheet §7.6): tracking_data only on deals, multitext only on
// contacts and companies.
const TYPE_ENTITIES: Partial<Record<(typeof SPEC_FIELD_TYPES)[number], readonly SpecEntity[]>> = {
  tracking_data: ['leads'],
  multitext: ['contacts', 'companies'],
};

// Maximum statuses per pipeline is 100 including the three system ones (unsorted, won, lost).
const MAX_STAGES = 97;

const keySchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'a key is lower-case letters, digits and _, starting with a letter');

export const StageSpecSchema = z
  .object({
    key: keySchema,
    name: z.string().trim().min(1).max(255),
    color: z
      .string()
      .transform((c) => c.toLowerCase())
      .refine((c) => (STAGE_PALETTE as readonly string[]).includes(c), {
        message: `colour is not in amoCRM's palette (${STAGE_PALETTE.join(' ')})`,
      })
      .optional(),
  })
  .strict();

export const PipelineSpecSchema = z
  .object({
    key: keySchema,
    name: z.string().trim().min(1).max(255),
    /** Keep amoCRM's "incoming leads" (unsorted) stage on; forms in `unsorted` mode need it. Default true. */
    unsorted: z.boolean().default(true),
    stages: z.array(StageSpecSchema).min(1).max(MAX_STAGES),
  })
  .strict()
  .superRefine((p, ctx) => {
    duplicates(p.stages.map((s) => s.key)).forEach((i) =>
      ctx.addIssue({ code: 'custom', path: ['stages', i, 'key'], message: `duplicate stage key "${p.stages[i]?.key}"` }),
    );
    duplicates(p.stages.map((s) => s.name.toLowerCase())).forEach((i) =>
      ctx.addIssue({ code: 'custom', path: ['stages', i, 'name'], message: `duplicate stage name "${p.stages[i]?.name}"` }),
    );
  });

const FieldShape = z
  .object({
    key: keySchema,
    /** Shown in amoCRM; needed to create the field, also used to find it when it has no code. */
    name: z.string().trim().min(1).max(255).optional(),
    type: z.enum(SPEC_FIELD_TYPES),
    /** Stable handle in the account (`UTM_SOURCE`, `OBJECT_COST`); matched first. */
    code: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a code is letters, digits and _, starting with a letter')
      .max(100)
      .optional(),
    /** A fixed field id (as in the seed guides): checked, never created. */
    id: z.number().int().positive().optional(),
    /** Exists in every account (PHONE, EMAIL): checked, never created. */
    predefined: z.boolean().default(false),
    /** Options of a select / multiselect / radiobutton. */
    enums: z.array(z.string().trim().min(1).max(255)).min(1).optional(),
  })
  .strict();

type FieldShapeOut = z.output<typeof FieldShape>;

function checkField(f: FieldShapeOut, ctx: z.RefinementCtx, entity?: SpecEntity): void {
  if (f.id === undefined && f.code === undefined && f.name === undefined) {
    ctx.addIssue({ code: 'custom', path: ['key'], message: 'give the field an id, a code or a name' });
  }
  if (f.id === undefined && !f.predefined && f.name === undefined) {
    ctx.addIssue({ code: 'custom', path: ['name'], message: 'a name is needed to create the field' });
  }
  if (f.enums !== undefined && !ENUM_FIELD_TYPES.includes(f.type)) {
    ctx.addIssue({ code: 'custom', path: ['enums'], message: `type ${f.type} has no options; enums need select, multiselect or radiobutton` });
  }
  if (f.enums === undefined && ENUM_FIELD_TYPES.includes(f.type) && f.id === undefined && !f.predefined) {
    ctx.addIssue({ code: 'custom', path: ['enums'], message: `a ${f.type} field needs its options (enums)` });
  }
  if (f.enums) {
    duplicates(f.enums).forEach((i) =>
      ctx.addIssue({ code: 'custom', path: ['enums', i], message: `duplicate option "${f.enums?.[i]}"` }),
    );
  }
  const allowed = TYPE_ENTITIES[f.type];
  if (entity && allowed && !allowed.includes(entity)) {
    ctx.addIssue({ code: 'custom', path: ['type'], message: `amoCRM allows ${f.type} fields only on ${allowed.join(' and ')}, not on ${entity}` });
  }
}

/** One custom field, without the entity rule (see `fieldSpecFor`). */
export const FieldSpecSchema = FieldShape.superRefine((f, ctx) => checkField(f, ctx));

/** One custom field of `entity`: also checks that amoCRM allows its type there. */
const fieldSpecFor = (entity: SpecEntity) => FieldShape.superRefine((f, ctx) => checkField(f, ctx, entity));

const fieldList = (entity: SpecEntity) => z.array(fieldSpecFor(entity)).default([]);

export const ProvisionSpecSchema = z
  .object({
    pipelines: z.array(PipelineSpecSchema).max(50).default([]),
    fields: z
      .object({ leads: fieldList('leads'), contacts: fieldList('contacts'), companies: fieldList('companies') })
      .strict()
      .default({ leads: [], contacts: [], companies: [] }),
  })
  .strict()
  .superRefine((spec, ctx) => {
    duplicates(spec.pipelines.map((p) => p.key)).forEach((i) =>
      ctx.addIssue({ code: 'custom', path: ['pipelines', i, 'key'], message: `duplicate pipeline key "${spec.pipelines[i]?.key}"` }),
    );
    duplicates(spec.pipelines.map((p) => p.name.toLowerCase())).forEach((i) =>
      ctx.addIssue({ code: 'custom', path: ['pipelines', i, 'name'], message: `duplicate pipeline name "${spec.pipelines[i]?.name}"` }),
    );
    for (const entity of SPEC_ENTITIES) {
      const fields = spec.fields[entity];
      const at = (i: number, k: string): (string | number)[] => ['fields', entity, i, k];
      duplicates(fields.map((f) => f.key)).forEach((i) =>
        ctx.addIssue({ code: 'custom', path: at(i, 'key'), message: `duplicate field key "${fields[i]?.key}" in ${entity}` }),
      );
      duplicates(fields.map((f) => f.code?.toUpperCase())).forEach((i) =>
        ctx.addIssue({ code: 'custom', path: at(i, 'code'), message: `duplicate field code "${fields[i]?.code}" in ${entity}` }),
      );
      duplicates(fields.map((f) => f.id)).forEach((i) =>
        ctx.addIssue({ code: 'custom', path: at(i, 'id'), message: `duplicate field id ${fields[i]?.id} in ${entity}` }),
      );
    }
  });

export type ProvisionSpec = z.infer<typeof ProvisionSpecSchema>;
export type PipelineSpec = z.infer<typeof PipelineSpecSchema>;
export type StageSpec = z.infer<typeof StageSpecSchema>;
export type FieldSpec = z.infer<typeof FieldSpecSchema>;

/** Indexes of items that repeat an earlier item (undefined values are ignored). */
function duplicates<T>(values: readonly (T | undefined)[]): number[] {
  const seen = new Set<T>();
  const out: number[] = [];
  values.forEach((v, i) => {
    if (v === undefined) return;
    if (seen.has(v)) out.push(i);
    else seen.add(v);
  });
  return out;
}
