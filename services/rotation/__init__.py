"""Access-key rotation: commands, issuing a new key, retiring the old one, and its ports."""
