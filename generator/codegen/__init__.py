"""Generator for the OpenAI Batch C++ client: spec loading, naming, type mapping and rendering."""
