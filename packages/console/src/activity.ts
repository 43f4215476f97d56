import { Observable, share } from 'rxjs';
import type { Activity, ActivitySource } from '@tandem/core';

/** An app (or anything with an `activity` source), or the source itself. */
export type ActivityInput = { readonly activity: ActivitySource } | ActivitySource;

function sourceOf(input: ActivityInput): ActivitySource {
  return 'subscribe' in input ? input : input.activity;
}

/**
 * The app's activity as a hot Observable: handler runs, published events, retries, dead
 * letters and breaker changes from the moment of subscription on. A live view, delivered
 * at most once to whoever is subscribed: not a consumer group, nothing is kept for a
 * subscriber that comes later, and a subscriber that falls behind must buffer or sample
 * (see `sampled`). Subscribers share one listener on the app; the last one to unsubscribe
 * removes it, and the app then builds no records at all.
 */
export function activity$(input: ActivityInput): Observable<Activity> {
  const source = sourceOf(input);
  return new Observable<Activity>((subscriber) => source.subscribe((activity) => subscriber.next(activity))).pipe(
    share(),
  );
}
