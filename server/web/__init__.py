"""Server-rendered HTML: shareable verdict pages and the moderator page (escaped everywhere)."""
