"""Export: stream everything a viewer may see, as STIX 2.1, CSV or plain text."""
