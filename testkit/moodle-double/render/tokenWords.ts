// Every word of the token pages, per language, so the double can show them as a French site does.
// The English strings are those of the recorded 5.0.6+ pages (samples e1–e16, p6–p9); the French ones
// come from Moodle's fr language pack as we know it and are to be checked against the recorded French
// pages when they arrive. Dates follow the pack's langconfig: the report's "Valid until" uses
// strftimedatetime, "Last access" userdate()'s default strftimedaydatetime (webservice/classes/
// reportbuilder/local/entities/token.php), and the date selectors the calendar's month names
// (userdate(…, '%B'), calendar/type/gregorian/classes/structure.php get_months()).

export type TokenLang = "en" | "fr";

export interface TokenWords {
  title: string;
  heading: string;
  createToken: string;
  caption: string;
  columns: { name: string; user: string; email: string; service: string; ip: string; validUntil: string; lastAccess: string; creator: string; missingCaps: string };
  actions: string;
  delete: string;
  noExpiry: string;
  never: string;
  nothingToDisplay: string;
  copyNow: string;
  copyToClipboard: string;
  copied: string;
  /** 5.0's aria-label; 4.5's hidden text capitalises the direction. */
  sortBy: (column: string, b4?: boolean) => string;
  ascending: string;
  page: (n: number) => string;
  previousPage: string;
  nextPage: string;
  showAll: (n: number) => string;
  filters: string;
  apply: string;
  resetAll: string;
  tokenName: string;
  operator: (header: string) => string;
  value: (header: string) => string;
  unit: (header: string) => string;
  from: (header: string) => string;
  to: (header: string) => string;
  textOperators: string[];
  dateOperators: [number, string][];
  dateUnits: [number, string][];
  enable: string;
  day: string;
  month: string;
  year: string;
  datePicker: string;
  months: string[];
  weekdays: string[];
  confirm: string;
  cancel: string;
  deleteConfirm: (user: string, service: string) => string;
  form: { name: string; nameHint: string; user: string; service: string; ip: string; validUntil: string; required: string; save: string; token: string; notAllowed: (service: string) => string };
  /** strftimedatetime: "Valid until". */
  dateTime: (p: DateParts) => string;
  /** strftimedaydatetime: "Last access". */
  dayDateTime: (p: DateParts) => string;
}

export interface DateParts {
  day: number;
  month: number;
  year: number;
  hour: number;
  minute: number;
  weekday: number;
}

const pad = (n: number) => String(n).padStart(2, "0");
const h12 = (p: DateParts) => `${p.hour % 12 || 12}:${pad(p.minute)} ${p.hour < 12 ? "AM" : "PM"}`;

const EN_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const EN_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const FR_MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"];
const FR_DAYS = ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"];

const en: TokenWords = {
  title: "Manage tokens | Web services | Server | Administration",
  heading: "Manage tokens",
  createToken: "Create token",
  caption: "Tokens",
  columns: {
    name: "Name",
    user: "User",
    email: "Email address",
    service: "Service",
    ip: "IP restriction",
    validUntil: "Valid until",
    lastAccess: "Last access",
    creator: "Creator",
    missingCaps: "Missing capabilities",
  },
  actions: "Actions",
  delete: "Delete",
  noExpiry: "This token has no expiry date.",
  never: "Never",
  nothingToDisplay: "Nothing to display",
  copyNow: "Copy the token now. It won't be shown again once you leave this page.",
  copyToClipboard: "Copy to clipboard",
  copied: "Text copied to clipboard.",
  sortBy: (c, b4) => `Sort by ${c} ${b4 ? "Ascending" : "ascending"}`,
  ascending: "Ascending",
  page: (n) => `Page ${n}`,
  previousPage: "Previous page",
  nextPage: "Next page",
  showAll: (n) => `Show all ${n}`,
  filters: "Filters",
  apply: "Apply",
  resetAll: "Reset all",
  tokenName: "Name",
  operator: (h) => `${h} operator`,
  value: (h) => `${h} value`,
  unit: (h) => `${h} unit`,
  from: (h) => `${h} from`,
  to: (h) => `${h} to`,
  textOperators: ["Is any value", "Contains", "Does not contain", "Is equal to", "Is not equal to", "Starts with", "Ends with", "Is empty", "Is not empty"],
  dateOperators: [
    [0, "Is any value"],
    [1, "Is not empty"],
    [2, "Is empty"],
    [3, "Range"],
    [9, "Before"],
    [10, "After"],
    [4, "Last"],
    [5, "Current"],
    [6, "Next"],
    [7, "In the past"],
    [8, "In the future"],
  ],
  dateUnits: [
    [5, "minute(s)"],
    [0, "hour(s)"],
    [1, "day(s)"],
    [2, "week(s)"],
    [3, "month(s)"],
    [4, "year(s)"],
  ],
  enable: "Enable",
  day: "Day",
  month: "Month",
  year: "Year",
  datePicker: "Date picker",
  months: EN_MONTHS,
  weekdays: EN_DAYS,
  confirm: "Confirm",
  cancel: "Cancel",
  deleteConfirm: (u, s) => `Do you really want to delete this web service token for <strong>${u}</strong> on the service <strong>${s}</strong>?`,
  form: {
    name: "Name",
    nameHint: "If you don't enter a name then a random name will be used.",
    user: "User",
    service: "Service",
    ip: "IP restriction",
    validUntil: "Valid until",
    required: "Required",
    save: "Save changes",
    token: "Token",
    notAllowed: (s) => `The user is not allowed for this service. First you need to allow this user on the ${s}'s allowed users administration page.`,
  },
  dateTime: (p) => `${p.day} ${EN_MONTHS[p.month - 1]} ${p.year}, ${h12(p)}`,
  dayDateTime: (p) => `${EN_DAYS[p.weekday]}, ${p.day} ${EN_MONTHS[p.month - 1]} ${p.year}, ${h12(p)}`,
};

const fr: TokenWords = {
  title: "Gérer les jetons | Services web | Serveur | Administration",
  heading: "Gérer les jetons",
  createToken: "Créer un jeton",
  caption: "Jetons",
  columns: {
    name: "Nom",
    user: "Utilisateur",
    email: "Adresse de courriel",
    service: "Service",
    ip: "Restriction IP",
    validUntil: "Valide jusqu'au",
    lastAccess: "Dernier accès",
    creator: "Créateur",
    missingCaps: "Capacités manquantes",
  },
  actions: "Actions",
  delete: "Supprimer",
  noExpiry: "Ce jeton n'a pas de date d'expiration.",
  never: "Jamais",
  nothingToDisplay: "Rien à afficher",
  copyNow: "Copiez le jeton maintenant. Il ne sera plus affiché une fois que vous aurez quitté cette page.",
  copyToClipboard: "Copier dans le presse-papier",
  copied: "Texte copié dans le presse-papier.",
  sortBy: (c, b4) => `Trier par ${c} ${b4 ? "Croissant" : "croissant"}`,
  ascending: "Croissant",
  page: (n) => `Page ${n}`,
  previousPage: "Page précédente",
  nextPage: "Page suivante",
  showAll: (n) => `Tout afficher (${n})`,
  filters: "Filtres",
  apply: "Appliquer",
  resetAll: "Tout réinitialiser",
  tokenName: "Nom",
  operator: (h) => `Opérateur ${h}`,
  value: (h) => `Valeur ${h}`,
  unit: (h) => `Unité ${h}`,
  from: (h) => `${h} depuis`,
  to: (h) => `${h} jusqu'à`,
  textOperators: ["N'importe quelle valeur", "Contient", "Ne contient pas", "Est égal à", "N'est pas égal à", "Commence par", "Se termine par", "Est vide", "N'est pas vide"],
  dateOperators: [
    [0, "N'importe quelle valeur"],
    [1, "N'est pas vide"],
    [2, "Est vide"],
    [3, "Intervalle"],
    [9, "Avant"],
    [10, "Après"],
    [4, "Dernier"],
    [5, "Actuel"],
    [6, "Prochain"],
    [7, "Dans le passé"],
    [8, "Dans le futur"],
  ],
  dateUnits: [
    [5, "minute(s)"],
    [0, "heure(s)"],
    [1, "jour(s)"],
    [2, "semaine(s)"],
    [3, "mois"],
    [4, "année(s)"],
  ],
  enable: "Activer",
  day: "Jour",
  month: "Mois",
  year: "Année",
  datePicker: "Sélecteur de date",
  months: FR_MONTHS,
  weekdays: FR_DAYS,
  confirm: "Confirmation",
  cancel: "Annuler",
  deleteConfirm: (u, s) => `Voulez-vous vraiment supprimer ce jeton de service web de <strong>${u}</strong> pour le service <strong>${s}</strong> ?`,
  form: {
    name: "Nom",
    nameHint: "Si vous n'indiquez pas de nom, un nom aléatoire sera utilisé.",
    user: "Utilisateur",
    service: "Service",
    ip: "Restriction IP",
    validUntil: "Valide jusqu'au",
    required: "Requis",
    save: "Enregistrer",
    token: "Jeton",
    notAllowed: (s) => `L'utilisateur n'est pas autorisé pour ce service. Vous devez d'abord autoriser cet utilisateur sur la page d'administration des utilisateurs autorisés de ${s}.`,
  },
  dateTime: (p) => `${p.day} ${FR_MONTHS[p.month - 1]} ${p.year}, ${pad(p.hour)}:${pad(p.minute)}`,
  dayDateTime: (p) => `${FR_DAYS[p.weekday]} ${p.day} ${FR_MONTHS[p.month - 1]} ${p.year}, ${pad(p.hour)}:${pad(p.minute)}`,
};

const WORDS: Record<TokenLang, TokenWords> = { en, fr };

/** The token pages' words in the page's language (testkit/moodle-double/lang.ts pageLanguage); English for any other. */
export function tokenWords(lang: string | undefined): TokenWords {
  return WORDS[(lang ?? "en") as TokenLang] ?? en;
}

/** The parts of an instant in `timezone` that the date formats use. */
export function dateParts(unixSeconds: number, timezone: string): DateParts {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: timezone,
    hourCycle: "h23",
    weekday: "short",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
  }).formatToParts(new Date(unixSeconds * 1000));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  return {
    day: Number(get("day")),
    month: Number(get("month")),
    year: Number(get("year")),
    hour: Number(get("hour")) % 24,
    minute: Number(get("minute")),
    weekday: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(get("weekday")),
  };
}
