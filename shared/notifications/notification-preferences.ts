import type { NotificationPreferences } from "../profiles/profile.types.js";
import type { StoredChannels } from "./notification-settings.repository.js";
import { defaultChannelPreferences, NOTIFICATION_TYPES, type ChannelPreference, type ChannelPreferences } from "./notification.types.js";

/**
 * A user's effective preferences: the in-app switch per type is the
 * profile's notification preference (one place for it), the other channels
 * and the "from" filter come from the notification settings, over safe defaults.
 */
export function effectivePreferences(profile: NotificationPreferences, channels: StoredChannels): ChannelPreferences {
  const defaults = defaultChannelPreferences();
  return Object.fromEntries(
    NOTIFICATION_TYPES.map((type) => {
      const merged: ChannelPreference = { ...defaults[type], ...channels[type], inApp: profile[type] ?? defaults[type].inApp };
      return [type, merged];
    }),
  ) as ChannelPreferences;
}
