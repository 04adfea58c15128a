export { createRequestBudget, type RequestBudget, type RequestBudgetOptions } from './request-budget';
