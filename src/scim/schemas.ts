import { ENTERPRISE_URN, GROUP_URN, USER_URN } from './urns';

// Schema representations per RFC 7643 section 8.7.1. Where our server behaves
// differently from the RFC text we describe our behaviour, because IdPs read
// these documents to decide what they can send and expect back.
// `schemas` and `meta` are added by discovery.ts, which knows the base URL.

export type AttributeType =
  | 'string'
  | 'boolean'
  | 'decimal'
  | 'integer'
  | 'dateTime'
  | 'binary'
  | 'reference'
  | 'complex';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

export interface SchemaAttribute {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: Uniqueness;
  subAttributes?: SchemaAttribute[];
  canonicalValues?: string[];
  referenceTypes?: string[];
}

export interface SchemaDefinition {
  id: string;
  name: string;
  description: string;
  attributes: SchemaAttribute[];
}

type Overrides = Partial<Omit<SchemaAttribute, 'name' | 'type' | 'description'>>;

/** Defaults are the RFC 7643 section 7 defaults, so each definition only states how it deviates. */
function attr(name: string, type: AttributeType, description: string, overrides: Overrides = {}): SchemaAttribute {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...overrides,
  };
}

function complex(
  name: string,
  description: string,
  subAttributes: SchemaAttribute[],
  overrides: Overrides = {},
): SchemaAttribute {
  return attr(name, 'complex', description, { ...overrides, subAttributes });
}

interface MultiValuedShape {
  valueType?: AttributeType;
  valueDescription: string;
  typeValues?: string[];
  referenceTypes?: string[];
  valueOverrides?: Overrides;
}

/**
 * The value/display/type/primary shape that RFC 7643 section 2.4 defines for
 * multi-valued attributes; emails, phoneNumbers, ims, photos, entitlements,
 * roles and x509Certificates all share it.
 */
function multiValued(name: string, description: string, shape: MultiValuedShape): SchemaAttribute {
  const typeSub = attr('type', 'string', `A label indicating the attribute's function.`);
  if (shape.typeValues) typeSub.canonicalValues = shape.typeValues;
  const valueSub = attr('value', shape.valueType ?? 'string', shape.valueDescription, shape.valueOverrides);
  if (shape.referenceTypes) valueSub.referenceTypes = shape.referenceTypes;
  return complex(
    name,
    description,
    [
      valueSub,
      attr('display', 'string', 'A human-readable name, primarily used for display purposes.'),
      typeSub,
      attr('primary', 'boolean', `A Boolean value indicating the 'primary' or preferred attribute value for this attribute. The primary attribute value 'true' MUST appear no more than once.`),
    ],
    { multiValued: true },
  );
}

const nameSubAttributes = [
  attr('formatted', 'string', 'The full name, including all middle names, titles, and suffixes as appropriate, formatted for display.'),
  attr('familyName', 'string', 'The family name of the User, or last name in most Western languages.'),
  attr('givenName', 'string', 'The given name of the User, or first name in most Western languages.'),
  attr('middleName', 'string', 'The middle name(s) of the User.'),
  attr('honorificPrefix', 'string', "The honorific prefix(es) of the User, or title in most Western languages (e.g., 'Ms.')."),
  attr('honorificSuffix', 'string', "The honorific suffix(es) of the User, or suffix in most Western languages (e.g., 'III')."),
];

const addressSubAttributes = [
  attr('formatted', 'string', 'The full mailing address, formatted for display or use with a mailing label.'),
  attr('streetAddress', 'string', 'The full street address component, which may include house number, street name, P.O. box, and multi-line extended street address information.'),
  attr('locality', 'string', 'The city or locality component.'),
  attr('region', 'string', 'The state or region component.'),
  attr('postalCode', 'string', 'The zip code or postal code component.'),
  attr('country', 'string', 'The country name component.'),
  attr('type', 'string', "A label indicating the attribute's function, e.g., 'work' or 'home'.", {
    canonicalValues: ['work', 'home', 'other'],
  }),
  // The RFC's 8.7.1 listing omits `primary` for addresses, yet section 2.4 gives
  // every multi-valued attribute one and we store it, so we advertise it.
  attr('primary', 'boolean', "A Boolean value indicating the 'primary' or preferred address. The primary attribute value 'true' MUST appear no more than once."),
];

// Group membership is computed from Group resources; clients change it through /Groups, never here.
const userGroupsSubAttributes = [
  attr('value', 'string', "The identifier of the User's group.", { mutability: 'readOnly' }),
  attr('$ref', 'reference', 'The URI of the corresponding Group resource to which the user belongs.', {
    referenceTypes: ['User', 'Group'],
    mutability: 'readOnly',
  }),
  attr('display', 'string', 'A human-readable name, primarily used for display purposes.', { mutability: 'readOnly' }),
  attr('type', 'string', "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.", {
    canonicalValues: ['direct', 'indirect'],
    mutability: 'readOnly',
  }),
];

export const USER_SCHEMA: SchemaDefinition = {
  id: USER_URN,
  name: 'User',
  description: 'User Account',
  attributes: [
    // Case-insensitive and server-unique: we reject a userName differing from an existing one only by case.
    attr('userName', 'string', 'Unique identifier for the User, typically used by the user to directly authenticate to the service provider. REQUIRED.', {
      required: true,
      uniqueness: 'server',
    }),
    complex('name', "The components of the user's real name.", nameSubAttributes),
    attr('displayName', 'string', 'The name of the User, suitable for display to end-users.'),
    attr('nickName', 'string', 'The casual way to address the user in real life.'),
    attr('profileUrl', 'reference', "A fully qualified URL pointing to a page representing the User's online profile.", {
      referenceTypes: ['external'],
    }),
    attr('title', 'string', "The user's title, such as \"Vice President\"."),
    attr('userType', 'string', 'Used to identify the relationship between the organization and the user, e.g., \'Contractor\' or \'Employee\'.'),
    attr('preferredLanguage', 'string', "Indicates the User's preferred written or spoken language, e.g., 'en-US'."),
    attr('locale', 'string', "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations."),
    attr('timezone', 'string', "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."),
    attr('active', 'boolean', "A Boolean value indicating the User's administrative status."),
    // Stored only as a hash, so it can never be read back.
    attr('password', 'string', "The User's cleartext password, used to set or change it. Never returned.", {
      mutability: 'writeOnly',
      returned: 'never',
    }),
    multiValued('emails', 'Email addresses for the user.', {
      valueDescription: "Email address for the User, canonicalized according to RFC 5321, e.g., 'bjensen@example.com'.",
      typeValues: ['work', 'home', 'other'],
    }),
    multiValued('phoneNumbers', 'Phone numbers for the User.', {
      valueDescription: "Phone number of the User, e.g., 'tel:+1-201-555-0123'.",
      typeValues: ['work', 'home', 'mobile', 'fax', 'pager', 'other'],
    }),
    multiValued('ims', 'Instant messaging addresses for the User.', {
      valueDescription: 'Instant messaging address for the User.',
      typeValues: ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'],
    }),
    multiValued('photos', 'URLs of photos of the User.', {
      valueType: 'reference',
      valueDescription: 'URL of a photo of the User.',
      typeValues: ['photo', 'thumbnail'],
      referenceTypes: ['external'],
    }),
    complex('addresses', 'A physical mailing address for this User.', addressSubAttributes, { multiValued: true }),
    complex('groups', 'A list of groups to which the user belongs, either through direct membership or through nested groups.', userGroupsSubAttributes, {
      multiValued: true,
      mutability: 'readOnly',
    }),
    multiValued('entitlements', 'A list of entitlements for the User that represent a thing the User has.', {
      valueDescription: 'The value of an entitlement.',
    }),
    multiValued('roles', "A list of roles for the User that collectively represent who the User is, e.g., 'Student', 'Faculty'.", {
      valueDescription: 'The value of a role.',
    }),
    multiValued('x509Certificates', 'A list of certificates issued to the User.', {
      valueType: 'binary',
      valueDescription: 'The value of an X.509 certificate.',
      // RFC 7643 section 2.3.6 makes binary case exact; 8.7.1's `false` is a known erratum (EID 6000).
      valueOverrides: { caseExact: true },
    }),
  ],
};

export const ENTERPRISE_USER_SCHEMA: SchemaDefinition = {
  id: ENTERPRISE_URN,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    attr('employeeNumber', 'string', 'Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization.'),
    attr('costCenter', 'string', 'Identifies the name of a cost center.'),
    attr('organization', 'string', 'Identifies the name of an organization.'),
    attr('division', 'string', 'Identifies the name of a division.'),
    attr('department', 'string', 'Identifies the name of a department.'),
    complex('manager', "The User's manager.", [
      attr('value', 'string', 'The id of the SCIM resource representing the User\'s manager.'),
      attr('$ref', 'reference', "The URI of the SCIM resource representing the User's manager.", { referenceTypes: ['User'] }),
      attr('displayName', 'string', "The displayName of the User's manager.", { mutability: 'readOnly' }),
    ]),
  ],
};

export const GROUP_SCHEMA: SchemaDefinition = {
  id: GROUP_URN,
  name: 'Group',
  description: 'Group',
  attributes: [
    // The RFC leaves displayName optional, but we reject a Group without one.
    attr('displayName', 'string', 'A human-readable name for the Group. REQUIRED.', { required: true }),
    complex(
      'members',
      'A list of members of the Group.',
      [
        attr('value', 'string', 'Identifier of the member of this Group.', { mutability: 'immutable' }),
        attr('$ref', 'reference', 'The URI corresponding to a SCIM resource that is a member of this Group.', {
          referenceTypes: ['User', 'Group'],
          mutability: 'immutable',
        }),
        // Kept as the client sent it when the member was added; re-adding an existing member never updates it.
        attr('display', 'string', 'A human-readable name, primarily used for display purposes.', { mutability: 'immutable' }),
        attr('type', 'string', "A label indicating the type of resource, e.g., 'User' or 'Group'.", {
          canonicalValues: ['User', 'Group'],
          mutability: 'immutable',
        }),
      ],
      { multiValued: true },
    ),
  ],
};
