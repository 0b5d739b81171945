import { z } from 'zod';

/**
 * Business context a host may sign into a session (order id, page, membership level…). It reaches
 * Coze as `custom_variables` and `meta_data`, so it keeps to Coze's meta_data limits: at most 16
 * pairs, keys 1-64 characters, values 1-512 characters, all strings.
 */
export const businessContext = z
  .record(
    z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'keys are 1-64 letters, digits, _ . or -'),
    z.string().min(1).max(512),
  )
  .refine((o) => Object.keys(o).length <= 16, 'at most 16 entries');
