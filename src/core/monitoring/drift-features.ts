import type { FeatureAggregation, FeatureDefinition } from '../features/definitions.js';

/**
 * Whether a feature's value is a calendar function of the event time alone (its weekday, its hour). Such a feature
 * is not drift-tracked: a drift window holds minutes to an hour of traffic, in which the weekday is one value and
 * the hour one or two, while the card's reference spans the training period's whole calendar. Its PSI then measures
 * the time of day (over 1 by day, over 7 at weekends on the shipped cards), never a change of the inputs.
 * Exhaustive over the aggregation kinds: a new kind does not compile until it is placed here.
 */
export function isCalendarAggregation(aggregation: FeatureAggregation): boolean {
  switch (aggregation.kind) {
    case 'utcWeekdayIn':
    case 'utcHourAtMost':
      return true;
    case 'amount':
    case 'count':
    case 'meanAmount':
    case 'fraudShare':
      return false;
  }
}

/** The names of the features that drift windows leave out (see isCalendarAggregation). */
export function calendarFeatureNames(definitions: readonly FeatureDefinition[]): string[] {
  return definitions.filter((definition) => isCalendarAggregation(definition.aggregation)).map((d) => d.name);
}
