"""EO data: raster/vector I/O with clear errors, the GeoTIFF-scene task builder, chip datamodules,
GEO-Bench v1 and EuroSAT readers, normalisation provenance."""
