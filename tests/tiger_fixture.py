"""A TIGER/Line-like place zip (``tl_<year>_25_place.zip``), built at test time from the real Northampton outline.

The attribute table has TIGER's place schema (STATEFP, PLACEFP, GEOID, NAME, NAMELSAD, LSAD, ALAND, AWATER, …),
NAD83. Northampton city (2546330) is the real outline (tests/data/nlcd_northampton_ma); its ALAND here is
the outline's area (the published ALAND excludes water). Two more features make a list to search: villages of
Northampton named after the real ones but with fixture GEOIDs (place FIPS 99901, 99902, which no real place
has) and small squares inside the city as outlines — fixture data, not Census data.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import shapely

NORTHAMPTON = "2546330"
#: (GEOID, NAME, NAMELSAD, LSAD, centre offset from Northampton's centroid in m, side in m) of the fixture villages.
VILLAGES = (
    ("2599901", "Florence", "Florence CDP", "57", (-3000.0, 1000.0), 1500.0),
    ("2599902", "Leeds", "Leeds CDP", "57", (-4000.0, 0.0), 1000.0),
)


def place_frame(outline_path: Path) -> gpd.GeoDataFrame:
    """The fixture places, TIGER columns, EPSG:4269."""
    outline = gpd.read_file(outline_path).to_crs("EPSG:5070").geometry.union_all()
    cx, cy = outline.centroid.x, outline.centroid.y
    rows = [(NORTHAMPTON, "Northampton", "Northampton city", "25", outline)]
    for geoid, name, namelsad, lsad, (dx, dy), side in VILLAGES:
        square = shapely.box(cx + dx - side / 2, cy + dy - side / 2, cx + dx + side / 2, cy + dy + side / 2)
        assert outline.contains(square), f"fixture village {name} must lie inside Northampton"
        rows.append((geoid, name, namelsad, lsad, square))
    frame = gpd.GeoDataFrame(
        {
            "STATEFP": ["25"] * len(rows),
            "PLACEFP": [r[0][2:] for r in rows],
            "PLACENS": ["00000000"] * len(rows),
            "GEOID": [r[0] for r in rows],
            "NAME": [r[1] for r in rows],
            "NAMELSAD": [r[2] for r in rows],
            "LSAD": [r[3] for r in rows],
            "CLASSFP": ["C5" if r[3] == "25" else "U1" for r in rows],
            "FUNCSTAT": ["A" if r[3] == "25" else "S" for r in rows],
            "ALAND": [round(r[4].area) for r in rows],  # m², of the EPSG:5070 outline
            "AWATER": [0] * len(rows),
        },
        geometry=[r[4] for r in rows],
        crs="EPSG:5070",
    )
    return frame.to_crs("EPSG:4269")


def write_place_zip(dst: Path, year: int, outline_path: Path) -> gpd.GeoDataFrame:
    """Write ``dst`` (a zip holding ``tl_<year>_25_place.shp`` and its side files); return the frame written."""
    frame = place_frame(outline_path)
    shp_dir = dst.parent / f"{dst.stem}_shp"
    shp_dir.mkdir(parents=True)
    frame.to_file(shp_dir / f"tl_{year}_25_place.shp", engine="pyogrio")
    with zipfile.ZipFile(dst, "w") as zf:
        for f in sorted(shp_dir.iterdir()):
            zf.write(f, f.name)
    shutil.rmtree(shp_dir)
    return frame
