// Companies share the contact implementation (fact sheet §7.4); kept as its own module for the route map.
import type { EmuCtx } from '../context.js';
import { contactRoutes } from './contacts.js';

export const companyRoutes = (ctx: EmuCtx) => contactRoutes(ctx, 'company');
