// The error budget: how many rejected rows a batch may have before it is refused whole (R_OVER_BUDGET).
// Every door applies one: the CLI (options), uploads (POST /batches) and connector sources (their
// own errorBudget). Where none is given, the default of the category set in configuration applies:
//   CREDIT_ETL_ERROR_BUDGET="*=0.5,penalty=0.2,water=0.1:500"
// each entry category=ratio[:count] (ratio of rows read, count of rows), "*" for every other category.
import { CATEGORY_IDS, type CategoryId } from '../schemas/registry.ts';

export interface ErrorBudget {
  readonly maxRejectRatio?: number;
  readonly maxRejects?: number;
}

export type ErrorBudgets = Readonly<Partial<Record<CategoryId | '*', ErrorBudget>>>;

export const ERROR_BUDGET_ENV = 'CREDIT_ETL_ERROR_BUDGET';

/** Parses the configuration's budgets; throws an Error naming every bad entry. */
export function parseErrorBudgets(text: string | undefined): ErrorBudgets {
  const out: Partial<Record<CategoryId | '*', ErrorBudget>> = {};
  const problems: string[] = [];
  for (const entry of (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z*]+)\s*=\s*([0-9.]+)?(?::(\d+))?$/.exec(entry);
    const key = m?.[1] as CategoryId | '*' | undefined;
    const ratio = m?.[2] === undefined ? undefined : Number(m[2]);
    const count = m?.[3] === undefined ? undefined : Number(m[3]);
    if (!m || !key || (key !== '*' && !CATEGORY_IDS.includes(key)) || (ratio !== undefined && !(ratio >= 0 && ratio <= 1)) || (ratio === undefined && count === undefined)) {
      problems.push(entry);
      continue;
    }
    out[key] = { ...(ratio === undefined ? {} : { maxRejectRatio: ratio }), ...(count === undefined ? {} : { maxRejects: count }) };
  }
  if (problems.length) {
    throw new Error(`${ERROR_BUDGET_ENV}: entries must be category=ratio[:count] with a ratio between 0 and 1 and a category of ${CATEGORY_IDS.join(', ')} or *; bad: ${problems.join(', ')}`);
  }
  return out;
}

/** The budget of one batch: what its caller gave, else the category's default, else the default for all. */
export function budgetFor(budgets: ErrorBudgets | undefined, category: CategoryId, given?: ErrorBudget): ErrorBudget {
  if (given && (given.maxRejectRatio !== undefined || given.maxRejects !== undefined)) return given;
  return budgets?.[category] ?? budgets?.['*'] ?? {};
}
