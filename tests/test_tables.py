"""Tables flattened into text: recovered layout and header paths, and their cells as records."""

from __future__ import annotations

import pytest

import medins_ie

from conftest import FIXTURES, find


def header_paths(table):
    cols, rows = {}, {}
    for c in table.cells:
        if c.record:
            cols.setdefault(c.col, c.col_header)
            rows.setdefault(c.row, c.row_header)
    return [cols[k] for k in sorted(cols)], [rows[k] for k in sorted(rows)]


@pytest.fixture(scope="module")
def docs():
    names = ["001_dc054a46d09250fb", "002_93b049e38d29be9c", "ext07_table_pipe_rows",
             "ext08_table_cells_per_line", "ext09_table_tab_separated"]
    return {n[:5]: medins_ie.extract((FIXTURES / f"{n}.txt").read_text(encoding="utf-8")) for n in names}


INPATIENT_COLS = [["本地住院"], ["异地住院", "省内"], ["异地住院", "跨省"], ["异地住院", "个人零星报销"],
                  ["异地住院", "小计"], ["合计"]]
OUTPATIENT_COLS = [["人次"], ["总费用"], ["应补偿"], ["实际补偿"], ["补偿比"]]

EXPECTED_001 = [
    ("一季度职工基本医疗保险构成情况及占比(万元)", [["合计"], ["住院"], ["门诊慢性特殊疾病"], ["个人账户"], ["普通门诊"]],
     [[], ["占比"]]),
    ("一季度城镇职工基本医疗住院补偿明细(人次、万元)", INPATIENT_COLS,
     [["人次"], ["总费用"], ["补偿"], ["实际补偿"], ["补偿比"]]),
    ("一季度职工门诊慢性特殊疾病补偿明细(人次、万元)", [["实际支出"], ["其中:谈判药品"]],
     [["直接结算"], ["个人零星报销"], ["合计"]]),
    (None, [["合计"], ["住院"], ["普通门诊"], ["门诊慢性特殊慢病"], ["门诊“两病”"], ["谈判药品"]], [[], ["占比"]]),
    ("一季度居民基本医疗保险住院补偿明细(人次、万元)", INPATIENT_COLS,
     [["人次"], ["总费用"], ["应补偿"], ["实际补偿"], ["补偿比"]]),
    ("居民普通门诊补偿明细(人次、万元)", OUTPATIENT_COLS, [[]]),
    ("居民门诊慢性特殊疾病补偿明细(人次、万元)", OUTPATIENT_COLS, [["直接结算"], ["个人零星报销"], ["合计"]]),
    ("一季度居民门诊“两病”补偿明细(人次、万元)", OUTPATIENT_COLS, [[]]),
    ("三季度居民门诊谈判药品补偿明细(人次、万元)", [["人次"], ["总费用"], ["实际补偿"], ["补偿比"]],
     [["直接结算"], ["个人零星报销"], ["合计"]]),
    ("四季度城乡居民大病保险补偿明细(人次、万元)", [["报销人次"], ["医疗总费用"], ["报销金额"], ["补偿比"]], [[]]),
]


def test_001_ten_tables_with_their_header_paths(docs):
    tables = docs["001_d"].tables
    assert len(tables) == len(EXPECTED_001)
    for table, (caption, cols, rows) in zip(tables, EXPECTED_001):
        assert table.layout == "stream"
        if caption:
            assert table.caption == caption
        assert header_paths(table) == (cols, rows)


def test_002_pipe_tables(docs):
    t1, t2 = docs["002_9"].tables
    assert t1.caption == "2025年固镇县城乡居民医疗保险基金总额分配表"
    cols, rows = header_paths(t1)
    assert cols == [["2025年分配数"]]
    assert rows[:3] == [["省级调剂金(预算调剂金)", "上划金额"], ["大病保险基金支出", "异地及中心"],
                        ["大病保险基金支出", "市内跨区"]]  # a row-spanning group label carried down
    assert rows[-1] == ["小计"]
    cols, rows = header_paths(t2)
    assert cols == [["2025年收支计划数(万元)", "小计"], ["2025年收支计划数(万元)", "统筹基金"],
                    ["2025年收支计划数(万元)", "个人账户基金"]]
    assert ["职工大额费用", "3.63%经办经费"] in rows and rows[-1] == ["总计"]


def test_own_layouts(docs):
    [t] = docs["ext07"].tables
    assert t.layout == "rows" and t.unit_note == "亿元"
    assert header_paths(t) == ([["收入"], ["支出"], ["当期结余"], ["累计结余"]],
                               [["职工医保"], ["统筹基金"], ["个人账户"], ["居民医保"], ["合计"]])
    [t] = docs["ext08"].tables
    cols, rows = header_paths(t)
    assert cols == [["1月"], ["2月"], ["3月"], ["4月"], ["5月"], ["6月"], ["合计"]]
    assert rows == [["住院人次"], ["住院统筹支付金额"], ["门诊人次"], ["门诊统筹支付金额"]]
    [t] = docs["ext09"].tables
    cols, rows = header_paths(t)
    assert cols == [["住院DRG"], ["门诊"], ["合计"]]
    assert rows[0] == ["南溪区人民医院", "二级"]


def test_cells_bind_from_headers(docs):
    doc = docs["001_d"]
    table = doc.tables[1]
    by_id = {r.id: r for r in doc.records}
    cell = next(c for c in table.cells if c.text == "663")
    r = by_id[cell.record]
    assert (r.type, r.unit, r.metric, r.scheme) == ("count", "person_time", "benefit_visits", "employee_medical")
    assert r.qualifiers["location"] == "in_province_remote"
    cell = next(c for c in table.cells if c.text == "672.82")
    r = by_id[cell.record]
    assert (r.type, r.value, r.metric) == ("amount", 6728200.0, "medical_cost")
    cell = next(c for c in table.cells if c.text == "84.94%")
    assert by_id[cell.record].metric == "reimbursement_ratio"
    # a month column gives the period
    doc8 = docs["ext08"]
    r = find(doc8, "2876")
    assert (r.period.start, r.period.end) == ("2025-02-01", "2025-02-28")


def test_unreadable_table_gives_a_finding_not_records():
    text = "说明如下。\n一季度补偿明细(人次、万元)\n项目\n甲类\n乙类\n丙类\n丁类\n人次\n12\n34\n总费用\n3.5\n4.5\n"
    doc = medins_ie.extract(text)
    assert doc.records == []  # four headers over two value columns: no guessing
    assert [f.kind for f in doc.findings] == ["table"]
    assert "cannot align" in doc.findings[0].message


@pytest.mark.parametrize("name", ["001_dc054a46d09250fb", "002_93b049e38d29be9c"])
def test_table_cells_score_on_the_seed_tables(name):
    """Acceptance of the tables issue: record F1 >= 0.95 over the gold records inside recovered tables."""
    from medins_ie.evaluate import score_document
    from medins_ie.fixtures import load_gold

    text, gold = load_gold(FIXTURES / f"{name}.gold.json")
    doc = medins_ie.extract(text)
    spans = [t.span for t in doc.tables]

    def in_table(span):
        return any(s <= span[0] and span[1] <= e for s, e in spans)

    g = [r for r in gold["records"] if in_table(r["span"])]
    p = [dict(r.to_dict(), span=list(r.span)) for r in doc.records if in_table(r.span)]
    scores = score_document(name, g, p).counts.scores()
    assert len(g) >= 50
    assert scores["entity"]["f1"] >= 0.99 and scores["record"]["f1"] >= 0.95, scores


def test_to_dataframe_or_a_clear_message(docs):
    table = docs["ext07"].tables[0]
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install pandas"):
            table.to_dataframe()
        return
    frame = table.to_dataframe(text=True)
    assert list(frame.columns) == ["收入", "支出", "当期结余", "累计结余"]
    assert frame.loc["职工医保", "收入"] == "45.62"
    assert table.to_dataframe().loc["职工医保", "收入"] == pytest.approx(45.62e8)  # 单位:亿元
