import type { ProfileService } from "../profiles/profile.service.js";
import type { NotificationPreferences } from "../profiles/profile.types.js";
import type { NotificationSettingsRepository, StoredChannels } from "./notification-settings.repository.js";
import { defaultChannelPreferences, NOTIFICATION_TYPES, type ChannelPreference, type ChannelPreferences, type NotificationType } from "./notification.types.js";

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

/** The ones among `userIds` (with a live profile) whose push switch for `type` is on: two reads for the lot. */
export async function pushWantedAmong(
  profiles: Pick<ProfileService, "notificationPreferencesMany">,
  settings: Pick<NotificationSettingsRepository, "getMany">,
  userIds: readonly string[],
  type: NotificationType,
): Promise<Set<string>> {
  const [switches, stored] = await Promise.all([profiles.notificationPreferencesMany(userIds), settings.getMany(userIds)]);
  return new Set(userIds.filter((id) => {
    const profile = switches.get(id);
    return profile !== undefined && effectivePreferences(profile, stored.get(id)?.channels ?? {})[type].push;
  }));
}
