// The four report categories (DESIGN §2) in the order every app shows them.
export const CATEGORIES = ['crime', 'traffic', 'fire', 'other'];
