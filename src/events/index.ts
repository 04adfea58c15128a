export {
  type AccessState,
  accessStates,
  createOutcomeStream,
  type OutcomeEvent,
  type OutcomeStream,
  type OutcomeStreamOptions,
  outcomeEventSchema,
  type StoredOutcomeEvent,
  type UnitResult,
} from './outcome-events';
