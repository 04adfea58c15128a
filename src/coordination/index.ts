export { createLeaseManager, keepLeaseAlive, type Lease, type LeaseManager } from './lease';
export { type LuaScript, luaScript, runScript } from './lua-script';
export { createRequestBudget, type RequestBudget, type RequestBudgetOptions } from './request-budget';
