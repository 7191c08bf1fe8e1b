"""Federation: talking to other hubs and TAXII servers (client.py: a TAXII 2.1 client)."""
