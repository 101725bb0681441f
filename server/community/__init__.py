"""Community reports merged into cases, moderation, reporter reputation and retention."""
