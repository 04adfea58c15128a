export { createLeaseManager, keepLeaseAlive, type Lease, type LeaseManager } from './lease';
export { createRequestBudget, type RequestBudget, type RequestBudgetOptions } from './request-budget';
