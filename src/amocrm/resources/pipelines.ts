// Pipelines and their statuses (fact sheet §7.5). 142/143 exist in every pipeline: keep (pipeline_id, status_id).
import { Resource, embedded } from '../core.js';
import { path } from '../query.js';
import type { RequestOptions } from '../request.js';
import type { Pipeline, PipelineInput, Status, StatusInput } from '../types.js';

type Opt = RequestOptions | undefined;
const o = (opts: Opt) => (opts ? { opts } : {});

export type PipelinePatch = Partial<Omit<PipelineInput, '_embedded' | 'request_id'>>;
export type StatusPatch = Partial<Omit<StatusInput, 'id' | 'request_id'>>;

export class StatusesResource extends Resource {
  async list(pipelineId: number, opts?: RequestOptions): Promise<Status[]> {
    const page = await this.t.list<Status>(path`/api/v4/leads/pipelines/${pipelineId}/statuses`, 'statuses', undefined, opts);
    return page.items;
  }

  get(pipelineId: number, id: number, opts?: RequestOptions): Promise<Status | null> {
    return this.t.request<Status>('GET', path`/api/v4/leads/pipelines/${pipelineId}/statuses/${id}`, o(opts));
  }

  /** POST an array of statuses; returns the created statuses (with request_id). */
  async create(pipelineId: number, items: readonly StatusInput[], opts?: RequestOptions): Promise<(Status & { request_id?: string })[]> {
    const data = await this.t.request<unknown>('POST', path`/api/v4/leads/pipelines/${pipelineId}/statuses`, { body: items, ...o(opts) });
    return embedded(data, 'statuses');
  }

  async update(pipelineId: number, id: number, patch: StatusPatch, opts?: RequestOptions): Promise<Status | null> {
    return this.t.request<Status>('PATCH', path`/api/v4/leads/pipelines/${pipelineId}/statuses/${id}`, { body: patch, ...o(opts) });
  }

  async delete(pipelineId: number, id: number, opts?: RequestOptions): Promise<void> {
    await this.t.request('DELETE', path`/api/v4/leads/pipelines/${pipelineId}/statuses/${id}`, o(opts));
  }
}

export class PipelinesResource extends Resource {
  readonly statuses = new StatusesResource(this.t);

  /** All pipelines with statuses embedded (the endpoint is not paged). */
  async list(opts?: RequestOptions): Promise<Pipeline[]> {
    const page = await this.t.list<Pipeline>('/api/v4/leads/pipelines', 'pipelines', undefined, opts);
    return page.items;
  }

  get(id: number, opts?: RequestOptions): Promise<Pipeline | null> {
    return this.t.request<Pipeline>('GET', path`/api/v4/leads/pipelines/${id}`, o(opts));
  }

  /** POST an array of pipelines (admin only). */
  async create(items: readonly PipelineInput[], opts?: RequestOptions): Promise<(Pipeline & { request_id?: string })[]> {
    const data = await this.t.request<unknown>('POST', '/api/v4/leads/pipelines', { body: items, ...o(opts) });
    return embedded(data, 'pipelines');
  }

  update(id: number, patch: PipelinePatch, opts?: RequestOptions): Promise<Pipeline | null> {
    return this.t.request<Pipeline>('PATCH', path`/api/v4/leads/pipelines/${id}`, { body: patch, ...o(opts) });
  }

  async delete(id: number, opts?: RequestOptions): Promise<void> {
    await this.t.request('DELETE', path`/api/v4/leads/pipelines/${id}`, o(opts));
  }
}
