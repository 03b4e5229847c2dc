// Business vocabulary: tenants, company names, deals, activities, tags, teams.

/** Tenant names after the first ("Demo Inc", slug `demo`); slug = `${base}-${orgNumber}`. */
export const ORG_NAMES: readonly (readonly [base: string, name: string])[] = [
  ['acme', 'Acme Corp'], ['globex', 'Globex'], ['initech', 'Initech'], ['umbrella', 'Umbrella'],
  ['hooli', 'Hooli'], ['stark', 'Stark Industries'], ['wayne', 'Wayne Enterprises'], ['wonka', 'Wonka Industries'],
  ['cyberdyne', 'Cyberdyne Systems'], ['soylent', 'Soylent'], ['tyrell', 'Tyrell Corporation'],
  ['massive', 'Massive Dynamic'], ['aperture', 'Aperture Science'], ['vandelay', 'Vandelay Industries'],
  ['piedpiper', 'Pied Piper'], ['dunder', 'Dunder Mifflin'], ['oscorp', 'Oscorp'], ['monarch', 'Monarch Solutions'],
  ['virtucon', 'Virtucon'], ['nakatomi', 'Nakatomi Trading'], ['gekko', 'Gekko & Co'], ['sterling', 'Sterling Cooper'],
  ['prestige', 'Prestige Worldwide'], ['bluth', 'Bluth Company'], ['krusty', 'Krusty Krab'],
];

/** Generated company brands: prefix + middle + suffix ("Novalabs", "Terraworks"). */
export const BRAND_PREFIXES = [
  'Nex', 'Vor', 'Quan', 'Zen', 'Stra', 'Bright', 'Blue', 'Green', 'Red', 'Silver',
  'Apex', 'Nova', 'Core', 'Prime', 'Vertex', 'Omni', 'Terra', 'Aero', 'Cyber', 'Data',
  'Info', 'Net', 'Hyper', 'Meta', 'Tech', 'Alpha', 'Beta', 'Delta', 'Sigma', 'Astra',
  'Lumi', 'Sol', 'Aqua', 'Eco', 'Flex', 'Giga', 'Hexa', 'Inno', 'Kine', 'Lyn',
  'Mira', 'Opti', 'Pyra', 'Quad', 'Rho', 'Syn', 'Tri', 'Uni', 'Vita', 'Wave',
  'Xeno', 'Yotta', 'Zeta', 'North', 'East', 'West', 'South', 'Iron', 'Stone', 'Oak',
];
export const BRAND_MIDDLES = ['', '', '', 'a', 'o', 'i', 'en', 'ex', 'on', 'ar'];
export const BRAND_SUFFIXES = [
  'corp', 'tech', 'soft', 'works', 'labs', 'logic', 'ware', 'link', 'gate', 'point',
  'line', 'star', 'field', 'bridge', 'craft', 'mind', 'path', 'scale', 'sys', 'tron',
  'ify', 'ly', 'io', 'ora', 'ium', 'ex', 'wise', 'hub', 'base', 'stack',
];
export const LEGAL_FORMS = [
  'Inc', 'GmbH', 'Ltd', 'LLC', 'Group', 'AG', 'Solutions', 'Systems', 'Technologies', 'Partners',
  'Holdings', 'Consulting', 'SA', 'BV', 'AB', 'SRL', 'KG', 'Oy', '& Co', 'Labs',
];
export const TLDS = ['.com', '.io', '.de', '.co.uk', '.net', '.fr', '.eu', '.ch', '.nl', '.co', '.ai', '.it'];

export const INDUSTRIES = [
  'Software', 'Financial Services', 'Healthcare', 'Manufacturing', 'Retail', 'Consulting', 'Education',
  'Real Estate', 'Logistics', 'Telecommunications', 'Energy', 'Media', 'Hospitality', 'Automotive',
  'Construction', 'Insurance', 'Pharmaceuticals', 'Agriculture', 'Government', 'Non-profit',
];

/** size band → [relative frequency, typical annual revenue]. */
export const SIZE_BANDS: readonly (readonly [band: string, weight: number, revenue: number])[] = [
  ['1-10', 34, 800_000], ['11-50', 30, 5_000_000], ['51-200', 18, 25_000_000],
  ['201-1000', 10, 120_000_000], ['1001-5000', 5, 600_000_000], ['5000+', 3, 4_000_000_000],
];

export const CONTACT_COMPANY_ROLES = [
  'Employee', 'Decision Maker', 'Champion', 'Technical Contact', 'Billing Contact', 'Executive Sponsor', 'Procurement',
];

export const DEAL_PRODUCTS = [
  'Annual Subscription', 'Enterprise License', 'Pro Plan Upgrade', 'Onboarding Package', 'Support Renewal',
  'Consulting Hours', 'Team Expansion', 'Pilot Project', 'Data Migration', 'Training Workshop',
  'Platform Add-on', 'Multi-year Renewal', 'Starter Plan', 'API Access', 'Premium Support',
];

export interface StageDef { name: string; probability: number; weight: number; won?: boolean; lost?: boolean }
export interface PipelineDef { name: string; stages: readonly StageDef[] }

/** Every org gets the first (default) pipeline; bigger orgs the second too. */
export const PIPELINES: readonly PipelineDef[] = [
  {
    name: 'Sales Pipeline',
    stages: [
      { name: 'Lead In', probability: 10, weight: 18 },
      { name: 'Qualified', probability: 20, weight: 14 },
      { name: 'Meeting Scheduled', probability: 40, weight: 11 },
      { name: 'Proposal Sent', probability: 60, weight: 9 },
      { name: 'Negotiation', probability: 80, weight: 7 },
      { name: 'Closed Won', probability: 100, weight: 18, won: true },
      { name: 'Closed Lost', probability: 0, weight: 23, lost: true },
    ],
  },
  {
    name: 'Renewals',
    stages: [
      { name: 'Upcoming', probability: 20, weight: 20 },
      { name: 'Contacted', probability: 40, weight: 15 },
      { name: 'Negotiating', probability: 60, weight: 12 },
      { name: 'Committed', probability: 90, weight: 10 },
      { name: 'Renewed', probability: 100, weight: 30, won: true },
      { name: 'Churned', probability: 0, weight: 13, lost: true },
    ],
  },
];

export const ACTIVITY_TYPES = ['email', 'call', 'task', 'meeting', 'note', 'message'] as const;
export const ACTIVITY_TYPE_WEIGHTS = [30, 22, 18, 12, 12, 6];

/** Subject templates per type (same order as ACTIVITY_TYPES); `%s` is a last name. */
export const ACTIVITY_SUBJECTS: readonly (readonly string[])[] = [
  ['Re: Proposal for %s', 'Intro email to %s', 'Pricing information', 'Follow-up on our meeting', 'Contract draft for %s', 'Reply from %s'],
  ['Call with %s', 'Follow-up call with %s', 'Discovery call', 'Check-in call with %s', 'Quarterly review call', 'Return call from %s'],
  ['Send proposal to %s', 'Prepare contract', 'Update record for %s', 'Schedule demo', 'Review pricing with %s', 'Send invoice'],
  ['Meeting with %s', 'Product demo for %s', 'Kick-off meeting', 'Lunch with %s', 'Quarterly business review', 'Workshop with %s'],
  ['Note about %s', 'Call summary', 'Meeting notes: %s', 'Customer feedback', 'Internal note on %s', 'Requirements summary'],
  ['Message from %s', 'SMS to %s', 'Chat with %s', 'LinkedIn message to %s', 'Support chat', 'Reminder sent to %s'],
];

export const ACTIVITY_BODIES = [
  'Discussed pricing and next steps.', 'Customer asked for a detailed quote.', 'Left a voicemail, will try again tomorrow.',
  'Interested in the enterprise plan.', 'Needs approval from finance before signing.', 'Sent the updated proposal.',
  'Wants a demo for the wider team next week.', 'Budget confirmed for next quarter.', 'Raised concerns about onboarding time.',
  'Asked about integrations with their ERP.', 'Renewal is on track.', 'Competitor offered a lower price.',
  'Requested references from similar customers.', 'Decision expected by end of month.', 'Happy with support so far.',
  'Introduced us to their head of operations.', 'Contract is with legal for review.', 'Follow up after the holidays.',
  'Shared the security questionnaire.', 'Prefers email over phone calls.', 'Asked to reschedule the meeting.',
  'Considering a multi-year agreement.', 'Reported an issue with invoicing.', 'Very positive feedback on the pilot.',
];

export const TAG_NAMES = [
  'VIP', 'Newsletter', 'Hot Lead', 'Customer', 'Partner', 'Enterprise', 'SMB', 'Churn Risk', 'Upsell', 'Renewal',
  'Event 2026', 'Webinar', 'Trial', 'Referral', 'Decision Maker', 'Champion', 'Do Not Call', 'Key Account',
  'Prospect', 'Beta Tester', 'Investor', 'Press', 'Vendor', 'Reseller', 'Inbound', 'Outbound', 'Q1 Campaign',
  'Q2 Campaign', 'Q3 Campaign', 'Q4 Campaign', 'Trade Show', 'Cold', 'Warm', 'EMEA', 'APAC', 'Americas',
  'Priority', 'Follow Up', 'Needs Review', 'Loyalty Member',
];
export const TAG_COLORS = ['#e11d48', '#f97316', '#eab308', '#22c55e', '#14b8a6', '#3b82f6', '#6366f1', '#a855f7', '#64748b'];

export const TEAM_NAMES = [
  'Sales EMEA', 'Sales Americas', 'Customer Success', 'Sales APAC', 'Marketing', 'Partnerships', 'Support', 'Enterprise Accounts',
];
export const CURRENCIES = ['USD', 'EUR', 'GBP', 'EUR', 'USD', 'CHF'];
