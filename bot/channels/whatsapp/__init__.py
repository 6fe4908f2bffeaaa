"""WhatsApp through the Cloud API: the webhook, a thin Graph API client, and the rendering of
our replies in what WhatsApp can show (reply buttons, lists, numbered text, templates)."""
