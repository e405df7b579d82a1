"""The mall's web pages on port 8080: the "My Orders" page with the chat widget."""
