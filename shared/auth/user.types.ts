/** An account as stored in PostgreSQL, secrets included: never sent to a client as is. */
export interface UserRecord {
  id: string;
  email: string | null;
  phoneNumber: string | null;
  countryCode: string | null;
  fullName: string;
  bio: string | null;
  profilePictureUrl: string | null;
  timezone: string;
  isOnline: boolean;
  lastSeen: Date;
  emailVerifiedAt: Date | null;
  phoneVerifiedAt: Date | null;
  status: "active" | "disabled";
  disabledAt: Date | null;
  passwordHash: string;
  passwordChangedAt: Date;
  lockedUntil: Date | null;
  totpSecret: string | null;
  totpPendingSecret: string | null;
  totpEnabledAt: Date | null;
  totpLastStep: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What the account's owner (and admins) see of it. */
export interface AccountView {
  id: string;
  email: string | null;
  phoneNumber: string | null;
  countryCode: string | null;
  fullName: string;
  bio: string | null;
  profilePictureUrl: string | null;
  timezone: string;
  emailVerified: boolean;
  emailVerifiedAt: string | null;
  phoneVerifiedAt: string | null;
  status: "active" | "disabled";
  twoFactorEnabled: boolean;
  roles: string[];
  createdAt: string;
  updatedAt: string;
}

/** Where a request came from, recorded with sessions and audit events. */
export interface RequestMeta {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

export function toAccountView(user: UserRecord, roles: readonly string[]): AccountView {
  return {
    id: user.id,
    email: user.email,
    phoneNumber: user.phoneNumber,
    countryCode: user.countryCode,
    fullName: user.fullName,
    bio: user.bio,
    profilePictureUrl: user.profilePictureUrl,
    timezone: user.timezone,
    emailVerified: user.emailVerifiedAt !== null,
    emailVerifiedAt: iso(user.emailVerifiedAt),
    phoneVerifiedAt: iso(user.phoneVerifiedAt),
    status: user.status,
    twoFactorEnabled: user.totpEnabledAt !== null,
    roles: [...roles].sort(),
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}
