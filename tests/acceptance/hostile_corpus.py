"""A hostile intake corpus for the 信访 pipeline, written blind to the code.

Self-contained (standard library only).  ``build(landing, run_date, seed)`` writes
good files, poison files and re-drops into ``<landing>/<channel>/incoming/`` and
returns a manifest (also written to ``<landing>/manifest.json``) stating what a
correct intake sweep must do with every file and every refused row.

Conventions of the manifest
---------------------------
* ``row`` numbers are 1-based *data* rows (the header is not counted; XLSX data
  row 1 is sheet row 2; a CSV record with a quoted line break is one row); for
  JSON Lines they are 1-based physical line numbers.
* ``outcome``: ``loaded`` (archived; ``rows_new`` items inserted,
  ``rows_already`` recognised as already loaded, ``refused`` rows in
  intake_reject), ``quarantined`` (moved to quarantine/ with a reason file;
  ``reason`` is a class), ``not_taken`` (stays in incoming/ untouched).
  ``acceptable_outcomes`` lists alternatives where the contract is silent.
* Re-drops of one group: the per-file split assumes the oldest file (the
  original; mtimes are set oldest-first in manifest order) is taken first; the
  invariant a checker should hold to is ``redrop_groups[g].distinct_rows``.
* ``expected_per_channel[c].items_new`` counts every row that must load,
  including ``items_changed`` rows (a re-dropped row whose content was
  corrected).  If the system supersedes the earlier item instead of keeping
  both, intake_item holds ``items_new - items_changed`` rows of that channel;
  either way an item with the corrected content must exist.
* ``secrets``: every full ID number (canonical 18 characters) and phone number
  (digits only) written anywhere, incl. outside the landing folder;
  ``secrets_as_written`` the spellings used in the files.  None of them may
  appear in intake_reject.reason, in any *.reason.txt, or in logs.
* ``expected_rows``: per loaded file, the rows that must be in intake_item
  (name as written, event date, content exactly as written).
* ``never_loaded_markers``: {channel, file, text}: ``text`` (a content, 案号 or
  ticket number) occurs in that file and in no intake_item of the run (symlink
  target, directory child, *.part/*.tmp, quarantined files, undecodable lines).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import pathlib
import random
import struct
import time
import zlib
from xml.sax.saxutils import escape

CHANNEL_HEADERS = {
    "letter": ["登记日期", "信访人", "身份证号", "联系电话", "住址", "涉及案号", "反映法院", "信访内容"],
    "visit": ["接待时间", "来访人", "身份证号", "联系电话", "涉及案号", "来访人数", "来访诉求", "接待人"],
    "online": ["ticket_id", "submitted_at", "name", "id_number", "mobile", "case_number", "court", "title", "content"],
    "hotline": ["工单号", "来电时间", "来电人", "来电号码", "涉及案号", "通话摘要"],
    "referral": ["交办文号", "交办单位", "交办日期", "信访人", "身份证号码", "联系方式", "涉及案号", "反映问题", "办结时限"],
    "progress": ["台账编号", "日期", "办理进展", "状态", "处置类别", "责任法院", "承办部门", "承办法官", "包案领导", "重点案件", "听证日期"],
}
PROGRESS_OPTIONAL = ["受理日期", "答复日期", "延期至", "满意度", "督办单位", "督办期限"]
CHANNELS = list(CHANNEL_HEADERS)

COURTS = {
    "冀10": "廊坊市中级人民法院", "冀1002": "安次区人民法院", "冀1003": "广阳区人民法院",
    "冀1022": "固安县人民法院", "冀1023": "永清县人民法院", "冀1024": "香河县人民法院",
    "冀1025": "大城县人民法院", "冀1026": "文安县人民法院", "冀1028": "大厂回族自治县人民法院",
    "冀1081": "霸州市人民法院", "冀1082": "三河市人民法院",
}
REGION = {"冀10": "131000", "冀1002": "131002", "冀1003": "131003", "冀1022": "131022", "冀1023": "131023",
          "冀1024": "131024", "冀1025": "131025", "冀1026": "131026", "冀1028": "131028",
          "冀1081": "131081", "冀1082": "131082"}
PLACE = {"冀10": "廊坊市", "冀1002": "廊坊市安次区", "冀1003": "廊坊市广阳区", "冀1022": "固安县",
         "冀1023": "永清县", "冀1024": "香河县", "冀1025": "大城县", "冀1026": "文安县",
         "冀1028": "大厂回族自治县", "冀1081": "霸州市", "冀1082": "三河市"}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛段雷侯史陶贺顾毛郝龚邵万钱严武戴孔汤"
GIVEN = ["伟", "芳", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀兰", "霞", "平", "刚", "桂英", "建国", "建华", "玉兰", "国强", "淑珍", "志刚", "春梅", "海燕", "文博",
         "凤英", "金花", "德胜", "永红", "立新", "宝山", "玉珍", "长林", "红梅", "振华", "树林", "俊峰", "雪莲"]
STREETS = ["新华路", "光明道", "和平路", "银河北路", "永兴路", "建设大街", "金光道", "爱民东道", "裕华路", "育才路"]
STAFF = ["郑晓燕", "马立群", "孙志红", "韩冬梅", "刘振宇"]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
FW = str.maketrans("0123456789Xx-()", "０１２３４５６７８９ＸＸ－（）")

EPOCH_ZIP = (2023, 6, 1, 9, 0, 0)


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def id_valid(idn: str) -> bool:
    return (len(idn) == 18 and idn[:17].isdigit()
            and idn[17].upper() == id_check_char(idn[:17]))


# --------------------------------------------------------------------------- writers

def _csv_text(header, rows, delimiter=",", eol="\r\n"):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=eol, quoting=csv.QUOTE_MINIMAL)
    if header is not None:
        w.writerow(header)
    for r in rows:
        if isinstance(r, str):          # a hand-made raw line (hostile)
            buf.write(r + eol)
        else:
            w.writerow(["" if v is None else _txt(v) for v in r])
    return buf.getvalue()


def _txt(v):
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if encoding == "utf-16":            # Excel "Unicode text": BOM + UTF-16LE
        return b"\xff\xfe" + text.encode("utf-16-le")
    return text.encode(encoding)


def _col(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _serial(v) -> float:
    if isinstance(v, dt.datetime):
        d = v - dt.datetime(1899, 12, 30)
        return d.days + d.seconds / 86400.0
    return float((v - dt.date(1899, 12, 30)).days)


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def _zip_bytes(entries) -> bytes:
    """entries: (name, deflated, crc, usize). Written by hand, deterministic."""
    y, mo, d, h, mi, s = EPOCH_ZIP
    dtime, ddate = (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d
    out, central = bytearray(), bytearray()
    for name, comp, crc, usize in entries:
        n = name.encode("utf-8")
        off = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, 8, dtime, ddate, crc,
                           len(comp), usize, len(n), 0) + n
        out += comp
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, 8, dtime, ddate, crc,
                               len(comp), usize, len(n), 0, 0, 0, 0, 0, off) + n
    cd_off = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), cd_off, 0)
    return bytes(out)


NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' \
     'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _package_parts(with_sst: bool):
    ct = (XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
          '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
          + ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>' if with_sst else '')
          + '</Types>')
    rels = (XML_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>')
    wb = (XML_HEAD + f'<workbook {NS}><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
    wbrels = (XML_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
              '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
              + ('<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>' if with_sst else '')
              + '</Relationships>')
    styles = (XML_HEAD + '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
              '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
              '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
              '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
              '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
              '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
              '<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
              '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
              '</styleSheet>')
    return [("[Content_Types].xml", ct), ("_rels/.rels", rels), ("xl/workbook.xml", wb),
            ("xl/_rels/workbook.xml.rels", wbrels), ("xl/styles.xml", styles)]


def _entry(name, text):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return (name, _deflate(data), zlib.crc32(data), len(data))


def xlsx_bytes(header, rows) -> bytes:
    """A minimal, valid workbook: shared strings, date cells (numFmt 14/22), numbers."""
    sst, sst_idx = [], {}

    def s_index(s):
        if s not in sst_idx:
            sst_idx[s] = len(sst)
            sst.append(s)
        return sst_idx[s]

    all_rows = [header] + rows
    ncol = max(len(r) for r in all_rows)
    xml = [XML_HEAD, f'<worksheet {NS}><dimension ref="A1:{_col(ncol - 1)}{len(all_rows)}"/><sheetData>']
    for ri, r in enumerate(all_rows, 1):
        xml.append(f'<row r="{ri}">')
        for ci, v in enumerate(r):
            ref = f"{_col(ci)}{ri}"
            if v is None or v == "":
                continue
            if isinstance(v, (dt.date, dt.datetime)):
                st = 2 if isinstance(v, dt.datetime) else 1
                xml.append(f'<c r="{ref}" s="{st}"><v>{_serial(v):.10g}</v></c>')
            elif isinstance(v, (int, float)):
                xml.append(f'<c r="{ref}"><v>{v}</v></c>')
            else:
                xml.append(f'<c r="{ref}" t="s"><v>{s_index(str(v))}</v></c>')
        xml.append("</row>")
    xml.append("</sheetData></worksheet>")
    sst_xml = [XML_HEAD, f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(sst)}" uniqueCount="{len(sst)}">']
    for s in sst:
        sp = ' xml:space="preserve"' if s != s.strip() or "\n" in s else ""
        sst_xml.append(f"<si><t{sp}>{escape(s)}</t></si>")
    sst_xml.append("</sst>")
    parts = _package_parts(True) + [("xl/worksheets/sheet1.xml", "".join(xml)),
                                    ("xl/sharedStrings.xml", "".join(sst_xml))]
    return _zip_bytes([_entry(n, t) for n, t in parts])


def xlsx_huge_dimension() -> bytes:
    sheet = (XML_HEAD + f'<worksheet {NS}><dimension ref="A1:XFD1048576"/><sheetData>'
             '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>1</t></is></c></row>'
             '</sheetData></worksheet>')
    parts = _package_parts(False) + [("xl/worksheets/sheet1.xml", sheet)]
    return _zip_bytes([_entry(n, t) for n, t in parts])


BOMB_CHUNK = 16 << 20
BOMB_CHUNKS = 132                       # 132 x 16 MiB = 2.06 GiB of whitespace (> 2 GB)


def xlsx_zip_bomb(header) -> tuple[bytes, int]:
    """Sheet part of ~2.2 GB (honest sizes in the zip headers), file ~2 MB.

    The deflate stream is made by compressing one chunk after a full flush and
    repeating its output: after Z_FULL_FLUSH the compressor state is reset, so
    the repeated bytes are exactly what compressing the whole part would give."""
    head = (XML_HEAD + f'<worksheet {NS}><dimension ref="A1:I1"/><sheetData><row r="1">'
            + "".join(f'<c r="{_col(i)}1" t="inlineStr"><is><t>{escape(h)}</t></is></c>' for i, h in enumerate(header))
            + "</row>").encode()
    tail = b"</sheetData></worksheet>"
    chunk = b" " * BOMB_CHUNK
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    h = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    b1 = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    b2 = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    assert b1 == b2
    t = c.compress(tail) + c.flush()
    stream = h + b1 * BOMB_CHUNKS + t
    crc = zlib.crc32(head)
    for _ in range(BOMB_CHUNKS):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    usize = len(head) + BOMB_CHUNK * BOMB_CHUNKS + len(tail)
    assert usize < 0xFFFFFFFF
    parts = [_entry(n, t_) for n, t_ in _package_parts(False)]
    parts.append(("xl/worksheets/sheet1.xml", stream, crc, usize))
    return _zip_bytes(parts), usize


# --------------------------------------------------------------------------- content

class _Gen:
    def __init__(self, run_date: dt.date, seed: int):
        self.rng = random.Random(f"xinfang-hostile-{seed}")
        self.run = run_date
        self.names = [s + g for s in SURNAMES for g in GIVEN]
        self.rng.shuffle(self.names)
        self.secrets: list[str] = []
        self.written: list[str] = []
        self.ids: list[str] = []
        self.used_case_nos: set[str] = set()
        self.ticket = self.rng.randint(1000, 5000)

    # people ------------------------------------------------------------
    def name(self) -> str:
        return self.names.pop()

    def id_number(self, court="冀1003", want_x=False) -> str:
        while True:
            born = dt.date(1950, 1, 1) + dt.timedelta(days=self.rng.randint(0, 16000))
            first17 = REGION[court] + born.strftime("%Y%m%d") + f"{self.rng.randint(1, 999):03d}"
            idn = first17 + id_check_char(first17)
            if (idn[-1] == "X") == want_x and idn not in self.ids:
                self.ids.append(idn)
                self.secrets.append(idn)
                return idn

    def mobile(self) -> str:
        p = self.rng.choice(["138", "139", "135", "150", "151", "187", "188", "133", "177", "199"])
        m = p + "".join(str(self.rng.randint(0, 9)) for _ in range(8))
        if m in self.secrets:
            return self.mobile()
        self.secrets.append(m)
        return m

    def landline(self) -> tuple[str, str]:
        local = str(self.rng.randint(2, 6)) + "".join(str(self.rng.randint(0, 9)) for _ in range(6))
        self.secrets.append("0316" + local)
        return "0316" + local, f"0316-{local}"

    def write_id(self, idn: str, style: str) -> str:
        s = {"plain": idn, "fw": idn.translate(FW), "lower": idn.lower(),
             "spaces": f"{idn[:6]} {idn[6:14]} {idn[14:]}"}[style]
        if s != idn:
            self.written.append(s)
        return s

    def write_phone(self, m: str, style: str) -> str:
        s = {"plain": m, "+86": "+86 " + m, "0086": "0086" + m, "86": "86-" + m,
             "dash": f"{m[:3]}-{m[3:7]}-{m[7:]}", "fw": m.translate(FW),
             "spaces": f"{m[:3]} {m[3:7]} {m[7:]}"}[style]
        if s != m:
            self.written.append(s)
        return s

    def person(self, court="冀1003", id_style="plain", phone_style="plain", want_x=False):
        idn = self.id_number(court, want_x)
        m = self.mobile()
        return {"name": self.name(), "id": idn, "phone": m,
                "id_w": self.write_id(idn, id_style), "phone_w": self.write_phone(m, phone_style)}

    # cases ---------------------------------------------------------------
    def case_no(self, court=None, kind=None, style="ascii"):
        while True:
            court = court or self.rng.choice([c for c in COURTS if c != "冀10"])
            kind = kind or ("民终" if court == "冀10" else self.rng.choice(["民初", "民初", "执", "执异", "民申", "行初"]))
            year = self.rng.randint(self.run.year - 3, self.run.year - 1)
            core = f"{court}{kind}{self.rng.randint(100, 9999)}"
            if core not in self.used_case_nos:
                self.used_case_nos.add(core)
                break
        return {"ascii": f"({year}){core}号", "fw": f"（{year}）{core}号", "hex": f"〔{year}〕{core}号",
                "bracket": f"[{year}]{core}号", "none": f"{year}{core}号", "nohao": f"({year}){core}",
                "space": f"({year}) {court} {kind}{core[len(court) + len(kind):]} 号"}[style], court

    def day(self, lo=1, hi=6) -> dt.date:
        return self.run - dt.timedelta(days=self.rng.randint(lo, hi))

    def moment(self, lo=1, hi=6) -> dt.datetime:
        d = self.day(lo, hi)
        return dt.datetime(d.year, d.month, d.day, self.rng.randint(8, 17), self.rng.randint(0, 59))

    def address(self, court) -> str:
        return f"{PLACE[court]}{self.rng.choice(STREETS)}{self.rng.randint(1, 300)}号{self.rng.randint(1, 20)}号楼{self.rng.randint(1, 6)}单元"

    def grievance(self, case_no, court) -> str:
        r = self.rng
        cname = COURTS[court]
        amt = r.randint(3, 480) * 1000 + r.choice([0, 500])
        months = r.randint(3, 30)
        t = r.randrange(9)
        if t == 0:
            return (f"本人与被告买卖合同纠纷一案，{cname}作出{case_no}判决已生效{months}个月，对方至今未履行"
                    f"货款{amt}元，申请执行后一直没有结果，请求法院尽快采取强制措施。")
        if t == 1:
            return f"{case_no}案件立案已经{months}个月仍未开庭，多次打电话给承办法官无人接听，请求督促审理。"
        if t == 2:
            return (f"不服{cname}{case_no}判决，一审没有采纳我方提交的{r.randint(2, 9)}份证据，"
                    f"认定事实错误，请求依法再审。")
        if t == 3:
            return (f"被拖欠工资{amt}元，{cname}判决用人单位支付，执行款至今未到位，家中老人常年看病，"
                    f"生活十分困难，请求给予司法救助。")
        if t == 4:
            return (f"对{cname}执行中拍卖本人住房的评估价{amt}元有异议，明显低于同小区成交价，"
                    f"({case_no})请求重新评估并暂缓拍卖。")
        if t == 5:
            return f"交通事故赔偿{case_no}，保险公司未按判决赔付{amt}元，肇事方下落不明，请求法院强制执行。"
        if t == 6:
            return (f"宅基地纠纷经{cname}{case_no}判决后，邻居仍占用我家约{r.randint(8, 90)}平方米宅基地"
                    f"并在上面盖了棚子，请求督促执行。")
        if t == 7:
            return (f"反映{cname}承办法官在审理{case_no}时未告知诉讼权利，庭审只开了{r.randint(8, 40)}分钟，"
                    f"请求调查处理并更换承办人。")
        return (f"法院遲(chí)遲不執(zhí)行{case_no}判決，欠款{amt}元至今分文未得，"
                f"本人已多次來(lái)訪，請(qǐng)求盡快處(chǔ)理。")

    def summary(self, case_no) -> str:
        r = self.rng
        t = r.randrange(4)
        if t == 0:
            return f"来电人询问{case_no}案件进展，称已{r.randint(2, 14)}个月未收到任何通知，已告知将转承办庭回电。"
        if t == 1:
            return f"来电反映{case_no}执行款{r.randint(2, 90) * 1000}元迟迟未发放，情绪激动，已登记并承诺三个工作日内答复。"
        if t == 2:
            return f"来电人对{case_no}判决不服，咨询申请再审的期限和材料，已解答并告知可到诉讼服务中心递交。"
        return f"来电称{case_no}承办法官调离后案件无人负责，要求法院明确新的承办人，已记录转信访部门。"

    def ticket_no(self, prefix) -> str:
        self.ticket += self.rng.randint(1, 17)
        return f"{prefix}{self.run:%Y%m%d}{self.ticket:05d}"


# --------------------------------------------------------------------------- corpus

class _Corpus:
    def __init__(self, landing: pathlib.Path, run_date: dt.date, seed: int):
        self.landing = landing
        self.g = _Gen(run_date, seed)
        self.run = run_date
        self.files: list[dict] = []
        self.never: list[str] = []
        self.groups: dict[str, dict] = {}
        self.outside = landing.parent / "outside"
        self.contents: dict[str, set] = {c: set() for c in CHANNELS}

    # -- bookkeeping
    def mark(self, channel, file, text):
        self.never.append({"channel": channel, "file": file, "text": text})

    def path(self, channel, name) -> pathlib.Path:
        p = self.landing / channel / "incoming" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def add(self, channel, name, kind, fmt, outcome, **kw):
        e = {"channel": channel, "name": name, "path": f"{channel}/incoming/{name}", "kind": kind,
             "format": fmt, "outcome": outcome}
        e.update(kw)
        self.files.append(e)
        return e

    def expect_loaded(self, rows_meta, refused, already=0, new=None):
        good = [m for m in rows_meta if m is not None]
        n_total = len(rows_meta)
        return {"rows_total": n_total,
                "rows_new": len(good) - already if new is None else new,
                "rows_already": already,
                "rows_refused": len(refused),
                "refused": refused,
                "expected_rows": good}

    def meta(self, channel, row_no, name, when, content, **extra):
        key = content.strip()
        assert key not in self.contents[channel], key
        self.contents[channel].add(key)
        m = {"row": row_no, "name": name, "date": when.isoformat() if when else None, "content": content}
        m.update(extra)
        return m

    # -- row builders (return values list and meta)
    def letter_row(self, id_style="plain", phone_style="plain", case_style="ascii", date_style="iso",
                   when=None, want_x=False, landline=False):
        g = self.g
        cn, court = g.case_no(style=case_style)
        p = g.person(court, id_style, phone_style, want_x)
        if landline:
            _, p["phone_w"] = g.landline()
        when = when or g.day()
        ds = {"iso": when.isoformat(), "slash": f"{when.year}/{when.month}/{when.day}",
              "dot": f"{when.year}.{when.month}.{when.day}", "cn": f"{when.year}年{when.month}月{when.day}日",
              "cell": when}[date_style]
        content = g.grievance(cn, court)
        return [ds, p["name"], p["id_w"], p["phone_w"], g.address(court), cn, COURTS[court], content], p, when, content

    def visit_row(self, group=False, when=None, date_style="iso"):
        g = self.g
        cn, court = g.case_no()
        p = g.person(court, g.rng.choice(["plain", "plain", "spaces"]), g.rng.choice(["plain", "dash", "+86"]))
        when = when or g.moment()
        if group:
            n = g.rng.randint(4, 9)
            who = f"{p['name']}、{g.name()}等{n}人"
        else:
            n, who = 1, p["name"]
        ds = {"iso": when.strftime("%Y-%m-%d %H:%M"), "cn": f"{when.year}年{when.month}月{when.day}日 {when:%H:%M}",
              "slash": f"{when.year}/{when.month}/{when.day} {when:%H:%M:%S}", "cell": when}[date_style]
        content = g.grievance(cn, court)
        return [ds, who, p["id_w"], p["phone_w"], cn, n, content, g.rng.choice(STAFF)], p, when, content

    def online_rec(self, when=None):
        g = self.g
        cn, court = g.case_no(style=g.rng.choice(["ascii", "fw", "hex"]))
        p = g.person(court, g.rng.choice(["plain", "plain", "lower"]), "plain", want_x=g.rng.random() < 0.2)
        when = when or g.moment()
        content = g.grievance(cn, court)
        rec = {"ticket_id": g.ticket_no("WS"), "submitted_at": when.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
               "name": p["name"], "id_number": p["id_w"], "mobile": p["phone_w"], "case_number": cn,
               "court": COURTS[court], "title": f"关于{cn}的反映", "content": content}
        return rec, p, when, content

    def hotline_row(self, when=None, phone_style=None):
        g = self.g
        cn, court = g.case_no(style=g.rng.choice(["ascii", "fw", "nohao", "none"]))
        if g.rng.random() < 0.2:
            _, phone_w = g.landline()
        else:
            phone_w = g.write_phone(g.mobile(), phone_style or g.rng.choice(["plain", "plain", "86", "0086", "fw"]))
        name = g.name()
        when = when or g.moment()
        content = g.summary(cn)
        return [g.ticket_no("RX"), when.strftime("%Y-%m-%d %H:%M:%S"), name, phone_w, cn, content], name, when, content

    def referral_row(self, when=None, cells=False):
        g = self.g
        cn, court = g.case_no()
        p = g.person(court, "plain", g.rng.choice(["plain", "dash"]))
        when = when or g.day(2, 8)
        due = when + dt.timedelta(days=30)          # usually after the run date: deadlines may lie ahead
        unit = g.rng.choice(["廊坊市信访局", "河北省高级人民法院", "廊坊市委政法委", "廊坊市人大常委会信访室"])
        doc = f"{g.rng.choice(['廊信交', '冀高法信转', '廊政法交'])}〔{when.year}〕{g.rng.randint(10, 400)}号"
        content = g.grievance(cn, court)
        d1, d2 = (when, due) if cells else (when.isoformat(), due.isoformat())
        return [doc, unit, d1, p["name"], p["id_w"], p["phone_w"], cn, content, d2], p, when, content

    # -- file builders
    def write(self, channel, name, data: bytes):
        self.path(channel, name).write_bytes(data)

    def build(self):
        g, run = self.g, self.run
        H = CHANNEL_HEADERS
        old, future = dt.date(2003, 5, 1), run + dt.timedelta(days=730)

        # ================= letter: good =================
        base_rows, base_meta = [], []
        for i in range(5):
            v, p, w, c = self.letter_row()
            base_rows.append(v)
            base_meta.append(self.meta("letter", i + 1, p["name"], w, c))
        name_a = f"来信登记_{run:%m%d}.csv"
        self.write("letter", name_a, _encode(_csv_text(H["letter"], base_rows), "utf-8"))
        self.add("letter", name_a, "good", "csv", "loaded", encoding="utf-8", group="letter-A",
                 **self.expect_loaded(base_meta, []))

        rows, metas = [], []
        styles = [("fw", "+86", "fw", "slash"), ("spaces", "dash", "hex", "dot"),
                  ("lower", "0086", "bracket", "cn"), ("plain", "fw", "space", "iso")]
        for i, (ids, ps, cs, ds) in enumerate(styles):
            v, p, w, c = self.letter_row(ids, ps, cs, ds, want_x=(ids == "lower"))
            if i == 1:                               # an Alt+Enter line break inside a quoted cell
                v[7] = c = c.replace("，", "，\n", 1)
            rows.append(v)
            metas.append(self.meta("letter", i + 1, p["name"], w, c))
        hdr = [" 登记日期 ", "信访人", "身份证号 ", "联系电话", "住址", "涉及案号", "反映法院", "信访内容"]
        nm = f"来信登记_{run:%m%d}_各种写法.csv"
        self.write("letter", nm, _encode(_csv_text(hdr, rows), "utf-8-sig"))
        self.add("letter", nm, "good", "csv", "loaded", encoding="utf-8-sig",
                 notes="header cells with surrounding spaces; full-width digits, +86/0086, 〔〕/[]/no-paren 案号, "
                       "Chinese and dotted dates, a quoted line break in row 2",
                 **self.expect_loaded(metas, []))

        rows, metas = [], []
        for i in range(4):
            v, p, w, c = self.letter_row(case_style=g.rng.choice(["ascii", "fw"]), landline=(i == 2))
            rows.append(v)
            metas.append(self.meta("letter", i + 1, p["name"], w, c))
        nm = f"letter_{run:%Y%m%d}_gbk.csv"
        self.write("letter", nm, _encode(_csv_text(H["letter"], rows), "gbk"))
        self.add("letter", nm, "good", "csv", "loaded", encoding="gbk", notes="CRLF; one landline 0316-",
                 **self.expect_loaded(metas, []))

        rows, metas = [], []
        for i in range(3):
            v, p, w, c = self.letter_row()
            rows.append(v)
            metas.append(self.meta("letter", i + 1, p["name"], w, c))
        nm = f"来信登记_{run:%m%d}_unicode.csv"
        self.write("letter", nm, _encode(_csv_text(H["letter"], rows, delimiter="\t"), "utf-16"))
        self.add("letter", nm, "good", "csv", "loaded", encoding="utf-16",
                 notes="Excel 'Unicode text': UTF-16LE with BOM, tab-separated, CRLF",
                 **self.expect_loaded(metas, []))

        rows, metas = [], []
        for i in range(4):
            v, p, w, c = self.letter_row(date_style="cell")
            rows.append(v)
            metas.append(self.meta("letter", i + 1, p["name"], w, c))
        nm = f"来信登记_{run:%m%d}.xlsx"
        self.write("letter", nm, xlsx_bytes(H["letter"], rows))
        self.add("letter", nm, "good", "xlsx", "loaded", notes="登记日期 as Excel date cells",
                 **self.expect_loaded(metas, []))

        # ================= letter: poison rows =================
        rows, metas, refused = [], [], []

        def good_letter(**kw):
            v, p, w, c = self.letter_row(**kw)
            rows.append(v)
            metas.append(self.meta("letter", len(rows), p["name"], w, c, **({"boundary": True} if "when" in kw else {})))

        def bad_letter(v_or_line, reason):
            rows.append(v_or_line)
            metas.append(None)
            refused.append({"row": len(rows), "reason": reason})

        good_letter()
        v, *_ = self.letter_row(); bad_letter(v[:4] + v[5:], "field_count")             # 住址 missing
        good_letter()
        v, *_ = self.letter_row(); bad_letter(v + ["已电话联系"], "field_count")           # one field too many
        v, _, _, c = self.letter_row()
        line = ",".join(_csv_one(x) for x in v[:7]) + "," + c.replace("，", ",", 1)        # unquoted ASCII comma
        assert line.count(",") == 8
        bad_letter(line, "field_count")
        v, *_ = self.letter_row()
        v[1] = (v[1] + "，" + v[7] + "。") * 40
        v[1] = v[1][:400]
        bad_letter(v, "too_long")                                                          # a 400-character name
        v, *_ = self.letter_row(); v[7] = v[7][:10] + "\x00" + v[7][10:]; bad_letter(v, "control_char")
        v, *_ = self.letter_row(when=old); bad_letter(v, "date_range")
        v, *_ = self.letter_row(when=future); bad_letter(v, "date_range")
        good_letter(when=run + dt.timedelta(days=1))                                       # boundary: run + 1 day is allowed
        good_letter(when=dt.date(2004, 1, 1))                                              # boundary: first allowed day
        good_letter()
        nm = f"来信登记_{run:%m%d}_有问题的行.csv"
        self.write("letter", nm, _encode(_csv_text(H["letter"], rows), "utf-8"))
        self.add("letter", nm, "poison", "csv", "loaded", encoding="utf-8",
                 notes="rows 10 and 11 are boundary dates (run+1 day, 2004-01-01) and must load",
                 **self.expect_loaded(metas, refused))

        # empty file
        self.write("letter", "来信登记_空文件.csv", b"")
        self.add("letter", "来信登记_空文件.csv", "poison", "csv", "quarantined", reason="empty",
                 acceptable_outcomes=["quarantined", "loaded with 0 rows"])

        # header row missing: the first line is data with a full ID and phone
        rows = [self.letter_row()[0] for _ in range(3)]
        nm = "来信登记_无表头.csv"
        for r in rows:
            self.mark("letter", nm, r[7])
        self.write("letter", nm, _encode(_csv_text(None, rows), "utf-8"))
        self.add("letter", nm, "poison", "csv", "quarantined", reason="no_header",
                 notes="first line is a data row carrying a full ID and phone: the reason must not quote it")

        # a file still being copied
        v, *_ = self.letter_row()
        txt = _csv_text(H["letter"], [v])
        nm = f"来信登记_{(run + dt.timedelta(days=1)):%m%d}.csv.part"
        self.mark("letter", nm, v[5])
        self.write("letter", nm, _encode(txt[: len(txt) - 25], "utf-8"))
        self.add("letter", nm, "poison", "csv", "not_taken", notes="*.part: stays in incoming/, untouched")

        # ================= letter: re-drops of group A =================
        grp = {"channel": "letter", "original": name_a, "files": [name_a]}
        nm = f"来信登记_{run:%m%d} - 副本.csv"
        self.path("letter", nm).write_bytes(self.path("letter", name_a).read_bytes())
        self.add("letter", nm, "redrop", "csv", "loaded", encoding="utf-8", group="letter-A",
                 notes="byte-identical copy", rows_total=5, rows_new=0, rows_already=5, rows_refused=0, refused=[])
        grp["files"].append(nm)

        nm = f"来信登记_{run:%m%d}_另存GBK.csv"
        self.write("letter", nm, _encode(_csv_text(H["letter"], base_rows, eol="\r\n"), "gbk"))
        self.add("letter", nm, "redrop", "csv", "loaded", encoding="gbk", group="letter-A",
                 notes="same rows re-saved as GBK with CRLF", rows_total=5, rows_new=0, rows_already=5,
                 rows_refused=0, refused=[])
        grp["files"].append(nm)

        xrows = []
        for r in base_rows:
            x = list(r)
            x[0] = dt.date.fromisoformat(r[0])       # Excel turns the date into a date cell
            x[3] = int(r[3])                          # ... and the mobile into a number
            xrows.append(x)
        nm = f"来信登记_{run:%m%d}_另存.xlsx"
        self.write("letter", nm, xlsx_bytes(H["letter"], xrows))
        self.add("letter", nm, "redrop", "xlsx", "loaded", group="letter-A",
                 notes="same rows as XLSX: 登记日期 a date cell, 联系电话 a numeric cell",
                 rows_total=5, rows_new=0, rows_already=5, rows_refused=0, refused=[])
        grp["files"].append(nm)

        crows = [list(r) for r in base_rows]
        fixed = crows[2][7] + "另：判决书复印件已随信附上。"
        crows[2][7] = fixed
        v, p, w, c = self.letter_row(when=dt.date.fromisoformat(base_rows[-1][0]))
        crows.append(v)
        m_fix = self.meta("letter", 3, crows[2][1], dt.date.fromisoformat(crows[2][0]), fixed, changed=True)
        m_new = self.meta("letter", 6, p["name"], w, c)
        nm = f"来信登记_{run:%m%d}_更正.csv"
        self.write("letter", nm, _encode(_csv_text(H["letter"], crows), "utf-8"))
        self.add("letter", nm, "redrop", "csv", "loaded", encoding="utf-8", group="letter-A",
                 notes="corrected copy: row 3 content amended (a changed row), row 6 new; rows 1,2,4,5 already loaded",
                 rows_total=6, rows_new=2, rows_already=4, rows_refused=0, refused=[], expected_rows=[m_fix, m_new])
        grp["files"].append(nm)
        grp["distinct_rows"] = 7
        self.groups["letter-A"] = grp

        # ================= visit =================
        rows, metas = [], []
        for i in range(4):
            v, p, w, c = self.visit_row(group=(i == 1), date_style=["iso", "iso", "cn", "slash"][i])
            rows.append(v)
            metas.append(self.meta("visit", i + 1, p["name"], w, c, group_visit=(i == 1)))
        nm = f"来访接待_{run:%m%d}.csv"
        self.write("visit", nm, _encode(_csv_text(H["visit"], rows), "utf-8"))
        self.add("visit", nm, "good", "csv", "loaded", encoding="utf-8", notes="row 2 is a group visit (…等N人)",
                 **self.expect_loaded(metas, []))

        rows, metas = [], []
        for i in range(3):
            v, p, w, c = self.visit_row(date_style="cell")
            rows.append(v)
            metas.append(self.meta("visit", i + 1, p["name"], w, c))
        nm = f"来访接待_{run:%m%d}.xlsx"
        self.write("visit", nm, xlsx_bytes(H["visit"], rows))
        self.add("visit", nm, "good", "xlsx", "loaded", notes="接待时间 as date-time cells, 来访人数 numeric",
                 **self.expect_loaded(metas, []))

        rows, metas = [], []
        for i in range(3):
            v, p, w, c = self.visit_row()
            if i == 0:                               # a name only GB18030 (not GBK) can encode
                v[1] = v[1][0] + "䶮"
                p["name"] = v[1]
            rows.append(v)
            metas.append(self.meta("visit", i + 1, p["name"], w, c))
        nm = f"visit_{run:%Y%m%d}_gb18030.csv"
        self.write("visit", nm, _encode(_csv_text(H["visit"], rows), "gb18030"))
        self.add("visit", nm, "good", "csv", "loaded", encoding="gb18030",
                 notes="row 1's name has a character outside GBK (U+4DAE, 4 bytes in GB18030)",
                 **self.expect_loaded(metas, []))

        rows, metas, refused = [], [], []
        for kind in ["good", "old", "bel", "future", "good"]:
            when = {"old": dt.datetime(2003, 5, 1, 9, 30),
                    "future": dt.datetime(future.year, future.month, future.day, 10, 0)}.get(kind)
            v, p, w, c = self.visit_row(when=when)
            if kind == "bel":
                v[6] = v[6][:6] + "\x07" + v[6][6:]
            rows.append(v)
            if kind == "good":
                metas.append(self.meta("visit", len(rows), p["name"], w, c))
            else:
                metas.append(None)
                refused.append({"row": len(rows), "reason": {"old": "date_range", "future": "date_range",
                                                             "bel": "control_char"}[kind]})
        nm = f"来访接待_{run:%m%d}_补录.csv"
        self.write("visit", nm, _encode(_csv_text(H["visit"], rows), "utf-8-sig"))
        self.add("visit", nm, "poison", "csv", "loaded", encoding="utf-8-sig",
                 notes="row 3 has a BEL (U+0007) in 来访诉求", **self.expect_loaded(metas, refused))

        nm = "来访接待_空表.csv"
        self.write("visit", nm, _encode(_csv_text(H["visit"], []), "utf-8-sig"))
        self.add("visit", nm, "poison", "csv", "loaded", encoding="utf-8-sig", notes="header only",
                 acceptable_outcomes=["loaded with 0 rows", "quarantined (empty)"],
                 rows_total=0, rows_new=0, rows_already=0, rows_refused=0, refused=[], expected_rows=[])

        nm = "来访接待_汇总.xlsx"
        self.write("visit", nm, xlsx_huge_dimension())
        self.add("visit", nm, "poison", "xlsx", "quarantined", reason="size_limit",
                 notes='<dimension ref="A1:XFD1048576"/> and one cell at XFD1048576')

        # symbolic link to a file outside the landing folder
        self.outside.mkdir(parents=True, exist_ok=True)
        rows = [self.visit_row()[0] for _ in range(2)]
        for r in rows:
            self.mark("visit", "来访接待_链接.csv", r[6])
        target = self.outside / "来访登记_内部.csv"
        target.write_bytes(_encode(_csv_text(None, rows), "utf-8"))
        link = self.path("visit", "来访接待_链接.csv")
        if link.is_symlink() or link.exists():
            link.unlink()
        os.symlink(target, link)
        self.add("visit", "来访接待_链接.csv", "poison", "csv", "quarantined", reason="symlink",
                 symlink_target=str(target),
                 notes="the link itself is quarantined; the target (first line: full ID and phone) is never read, "
                       "moved or changed")

        # ================= online =================
        recs, metas = [], []
        for i in range(5):
            r, p, w, c = self.online_rec()
            recs.append(r)
            metas.append(self.meta("online", i + 1, p["name"], w, c, ticket_id=r["ticket_id"]))
        base_online = recs
        nm = f"web_export_{run:%Y%m%d}.jsonl"
        self.write("online", nm, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs).encode("utf-8"))
        self.add("online", nm, "good", "jsonl", "loaded", encoding="utf-8", group="online-B",
                 **self.expect_loaded(metas, []))

        recs, metas = [], []
        for i in range(3):
            r, p, w, c = self.online_rec()
            recs.append(r)
            metas.append(self.meta("online", i + 1, p["name"], w, c, ticket_id=r["ticket_id"]))
        nm = f"web_export_{run:%Y%m%d}_bom.jsonl"
        self.write("online", nm, _encode("".join(json.dumps(r, ensure_ascii=False) + "\r\n" for r in recs), "utf-8-sig"))
        self.add("online", nm, "good", "jsonl", "loaded", encoding="utf-8-sig", notes="BOM and CRLF line ends",
                 **self.expect_loaded(metas, []))

        lines, metas, refused = [], [], []
        for kind in ["good", "nul", "broken", "good", "old", "future", "good"]:
            when = {"old": dt.datetime(2003, 5, 1, 10, 0),
                    "future": dt.datetime(future.year, future.month, future.day, 11, 0)}.get(kind)
            r, p, w, c = self.online_rec(when=when)
            if kind == "nul":
                r["content"] = r["content"][:8] + "\u0000" + r["content"][8:]
            s = json.dumps(r, ensure_ascii=False)
            if kind == "broken":
                s = s[: len(s) // 2]                  # the export stopped mid-record
                self.mark("online", f"web_export_{run:%Y%m%d}_2.jsonl", r["ticket_id"])
            lines.append(s)
            if kind == "good":
                metas.append(self.meta("online", len(lines), p["name"], w, c, ticket_id=r["ticket_id"]))
            else:
                metas.append(None)
                refused.append({"row": len(lines), "reason": {"nul": "control_char", "broken": "json",
                                                              "old": "date_range", "future": "date_range"}[kind]})
        nm = f"web_export_{run:%Y%m%d}_2.jsonl"
        self.write("online", nm, ("\n".join(lines) + "\n").encode("utf-8"))
        self.add("online", nm, "poison", "jsonl", "loaded", encoding="utf-8",
                 notes="line 2: a \\u0000 escape inside content (valid JSON, NUL in the value); line 3: truncated JSON",
                 **self.expect_loaded(metas, refused))

        r, *_ = self.online_rec()
        nm = f"web_export_{(run + dt.timedelta(days=1)):%Y%m%d}.jsonl.part"
        self.mark("online", nm, r["ticket_id"])
        self.write("online", nm, json.dumps(r, ensure_ascii=False)[:60].encode("utf-8"))
        self.add("online", nm, "poison", "jsonl", "not_taken", notes="*.part: stays in incoming/, untouched")

        keys = list(CHANNEL_HEADERS["online"])
        g.rng.shuffle(keys)
        nm = f"网上信访_{run:%m%d}_重新导出.jsonl"
        self.write("online", nm, "".join(json.dumps({k: r[k] for k in keys}, ensure_ascii=True) + "\n"
                                         for r in base_online).encode("ascii"))
        self.add("online", nm, "redrop", "jsonl", "loaded", encoding="ascii (\\u escapes)", group="online-B",
                 notes="the same 5 records re-exported: other key order, non-ASCII as \\uXXXX escapes",
                 rows_total=5, rows_new=0, rows_already=5, rows_refused=0, refused=[])
        self.groups["online-B"] = {"channel": "online", "original": f"web_export_{run:%Y%m%d}.jsonl",
                                   "files": [f"web_export_{run:%Y%m%d}.jsonl", nm], "distinct_rows": 5}

        # ================= hotline =================
        rows, metas = [], []
        for i in range(5):
            v, name, w, c = self.hotline_row()
            rows.append(v)
            metas.append(self.meta("hotline", i + 1, name, w, c, ticket=v[0]))
        nm = f"12368话务_{run:%m%d}.csv"
        self.write("hotline", nm, _encode(_csv_text(H["hotline"], rows), "utf-8"))
        self.add("hotline", nm, "good", "csv", "loaded", encoding="utf-8", **self.expect_loaded(metas, []))

        rows, metas = [], []
        for i in range(3):
            v, name, w, c = self.hotline_row()
            rows.append(v)
            metas.append(self.meta("hotline", i + 1, name, w, c, ticket=v[0]))
        hdr = ["工单号", "　来电时间　", "来电人", "来电号码 ", "涉及案号", "通话摘要"]
        nm = f"hotline_{run:%Y%m%d}_gbk.csv"
        self.write("hotline", nm, _encode(_csv_text(hdr, rows), "gbk"))
        self.add("hotline", nm, "good", "csv", "loaded", encoding="gbk",
                 notes="header cells padded with ideographic (U+3000) and ASCII spaces",
                 **self.expect_loaded(metas, []))

        rows, metas = [], []
        for i in range(3):
            v, name, w, c = self.hotline_row()
            rows.append(v)
            metas.append(self.meta("hotline", i + 1, name, w, c, ticket=v[0]))
        nm = f"12368话务_{run:%m%d}_unicode.csv"
        self.write("hotline", nm, _encode(_csv_text(H["hotline"], rows, delimiter="\t"), "utf-16"))
        self.add("hotline", nm, "good", "csv", "loaded", encoding="utf-16",
                 notes="Excel 'Unicode text': UTF-16LE with BOM, tab-separated", **self.expect_loaded(metas, []))

        # GBK with two lines of invalid bytes
        rows, metas, refused = [], [], []
        for i in range(6):
            v, name, w, c = self.hotline_row()
            rows.append(v)
            if i in (1, 4):
                metas.append(None)
                refused.append({"row": i + 1, "reason": "encoding"})
                self.mark("hotline", f"12368话务_{run:%m%d}_坏字节.csv", v[0])
            else:
                metas.append(self.meta("hotline", i + 1, name, w, c, ticket=v[0]))
        text = _csv_text(H["hotline"], rows)
        lines = text.split("\r\n")
        data = []
        for li, ln in enumerate(lines):
            b = ln.encode("gbk")
            if li == 2:                                   # data row 2: a stray 0xFF byte
                k = b.index("，".encode("gbk"))
                b = b[:k] + b"\xff" + b[k:]
            if li == 5:                                   # data row 5: a lead byte with an invalid trail byte
                k = b.index(b",", b.index(b",") + 1)
                b = b[:k] + b"\x81\x7f" + b[k:]
            data.append(b)
        blob = b"\r\n".join(data)
        for li, b in enumerate(blob.split(b"\r\n")):
            try:
                b.decode("gb18030")
                ok = True
            except UnicodeDecodeError:
                ok = False
            assert ok == (li not in (2, 5)), li
        nm = f"12368话务_{run:%m%d}_坏字节.csv"
        self.write("hotline", nm, blob)
        self.add("hotline", nm, "poison", "csv", "loaded", encoding="gbk",
                 notes="data rows 2 and 5 carry bytes invalid in GBK/GB18030 (0xFF; 0x81 0x7F)",
                 **self.expect_loaded(metas, refused))

        nm = f"12368话务_{run:%m%d}_导出.csv"
        brng = random.Random(f"binary-{g.rng.random()}")
        blob = bytes([0x00, 0xFF, 0x9C, 0x01]) + bytes(brng.randrange(256) for _ in range(4093))
        self.write("hotline", nm, blob)
        self.add("hotline", nm, "poison", "csv", "quarantined", reason="not_text",
                 notes="4097 random bytes, no BOM, odd length")

        v, name, w, c = self.hotline_row()
        nm = f"12368话务_{(run + dt.timedelta(days=1)):%m%d}.csv.tmp"
        self.mark("hotline", nm, c)
        self.write("hotline", nm, _encode(_csv_text(H["hotline"], [v]), "utf-8"))
        self.add("hotline", nm, "poison", "csv", "not_taken", notes="*.tmp: stays in incoming/, untouched")

        # ================= referral =================
        rows, metas = [], []
        for i in range(3):
            v, p, w, c = self.referral_row()
            rows.append(v)
            metas.append(self.meta("referral", i + 1, p["name"], w, c, due=v[8]))
        nm = f"上级交办_{run:%m%d}.xlsx"
        self.write("referral", nm, xlsx_bytes(H["referral"], rows))
        self.add("referral", nm, "good", "xlsx", "loaded", notes="dates as text; 办结时限 30 days after 交办日期 (may lie ahead)",
                 **self.expect_loaded(metas, []))

        rows, metas, refused = [], [], []
        for kind in ["good", "old", "good", "future", "long"]:
            when = {"old": old, "future": future}.get(kind)
            v, p, w, c = self.referral_row(when=when, cells=True)
            if kind == "long":                         # 信访人 cell with the whole letter pasted in: 400 characters
                v[3] = (v[3] + "：" + v[7]) * 4
                v[3] = v[3][:400]
            rows.append(v)
            if kind == "good":
                metas.append(self.meta("referral", len(rows), p["name"], w, c, due=v[8].isoformat()))
            else:
                metas.append(None)
                refused.append({"row": len(rows), "reason": "too_long" if kind == "long" else "date_range"})
        nm = f"上级交办_{run:%m%d}_补充.xlsx"
        self.write("referral", nm, xlsx_bytes(H["referral"], rows))
        self.add("referral", nm, "poison", "xlsx", "loaded",
                 notes="dates as Excel date cells; 办结时限 may lie ahead and must not be refused; "
                       "row 5 has a 400-character 信访人 cell",
                 **self.expect_loaded(metas, refused))

        bomb, usize = xlsx_zip_bomb(H["referral"])
        nm = "上级交办_汇总.xlsx"
        self.write("referral", nm, bomb)
        self.add("referral", nm, "poison", "xlsx", "quarantined", reason="zip_bomb",
                 notes=f"xl/worksheets/sheet1.xml unpacks to {usize} bytes (honest sizes in the zip headers); "
                       f"its dimension claims A1:I1")

        d = self.path("referral", "扫描件") / "说明.csv"
        d.parent.mkdir(exist_ok=True)
        v, *_ = self.referral_row()
        self.mark("referral", "扫描件/说明.csv", v[7])
        d.write_bytes(_encode(_csv_text(H["referral"], [v]), "utf-8"))
        self.add("referral", "扫描件", "poison", "directory", "quarantined", reason="not_regular",
                 acceptable_outcomes=["quarantined", "left in place untouched"],
                 notes="a directory inside incoming/ holding a CSV: never read as data, never stops the sweep")

        # ================= progress =================
        pg_hdr = H["progress"] + PROGRESS_OPTIONAL
        ledger = [f"LF{run.year}{g.rng.randint(1, 9999):04d}" for _ in range(6)]
        d1, d2 = g.day(), g.day()
        rows = [
            [ledger[0], d1.isoformat(), "已约谈信访人，释法明理，申请人表示理解", "办理中", "", "广阳区人民法院", "民一庭",
             g.name(), g.name(), "否", (run + dt.timedelta(days=10)).isoformat(), d1.isoformat(), "",
             (d1 + dt.timedelta(days=75)).isoformat(), "", "", ""],
            [ledger[1], d2.isoformat(), "执行款已全部发放到位，申请人签字确认", "已销号", "化解", "三河市人民法院", "执行局",
             g.name(), g.name(), "是", "", "", d2.isoformat(), "", "满意", "廊坊市中级人民法院",
             (run + dt.timedelta(days=20)).isoformat()],
            [ledger[2], old.isoformat(), "补录旧台账", "办理中", "", "霸州市人民法院", "立案庭", g.name(), g.name(), "否",
             "", "", "", "", "", "", ""],
            [ledger[3], g.day().isoformat(), "已组织信访听证，\x00待合议", "办理中", "", "固安县人民法院", "民二庭",
             g.name(), g.name(), "否", "", "", "", "", "", "", ""],
            [ledger[4], future.isoformat(), "录入年份错误", "中止", "", "文安县人民法院", "民一庭", g.name(), g.name(),
             "否", "", "", "", "", "", "", ""],
        ]
        nm = f"办理进展_{run:%m%d}.csv"
        self.write("progress", nm, _encode(_csv_text(pg_hdr, rows), "utf-8-sig"))
        self.add("progress", nm, "poison", "csv", "loaded", encoding="utf-8-sig",
                 rows_total=5, rows_new=0, rows_already=0, rows_refused=3,
                 refused=[{"row": 3, "reason": "date_range"}, {"row": 4, "reason": "control_char"},
                          {"row": 5, "reason": "date_range"}],
                 progress_rows_valid=[1, 2],
                 notes="progress rows are not intake items. 台账编号 values cannot be known to a blind corpus: rows 1-2 "
                       "are valid and are either applied or refused as an unknown ledger number (any reason class "
                       "but the ones listed); 听证日期/延期至/督办期限 lie ahead and are not refused")
        prow = [[ledger[5], g.day(), "已向信访人送达书面答复", "办理中", "", "大城县人民法院", "民一庭", g.name(),
                 g.name(), "否", run + dt.timedelta(days=5), g.day(), g.day(), "", "基本满意", "", ""]]
        nm = f"办理进展_{run:%m%d}.xlsx"
        self.write("progress", nm, xlsx_bytes(pg_hdr, prow))
        self.add("progress", nm, "good", "xlsx", "loaded", rows_total=1, rows_new=0, rows_already=0,
                 rows_refused=0, refused=[], progress_rows_valid=[1],
                 notes="dates as Excel date cells; 台账编号 unknown to the corpus (may be refused as unknown, "
                       "never quarantined)")

    # -- manifest
    def manifest(self, seed) -> dict:
        per = {c: {"items_new": 0, "items_changed": 0, "rows_refused": 0, "files_quarantined": 0, "files_not_taken": 0,
                   "files_loaded": 0} for c in CHANNELS}
        for f in self.files:
            p = per[f["channel"]]
            if f["outcome"] == "loaded":
                p["files_loaded"] += 1
                p["items_new"] += f.get("rows_new") or 0
                p["items_changed"] += sum(1 for r in f.get("expected_rows", []) if r.get("changed"))
                p["rows_refused"] += f.get("rows_refused", 0)
            elif f["outcome"] == "quarantined":
                p["files_quarantined"] += 1
            else:
                p["files_not_taken"] += 1
        secrets = sorted(set(self.g.secrets))
        return {
            "schema": 1,
            "run_date": self.run.isoformat(),
            "seed": seed,
            "landing": str(self.landing),
            "outside": str(self.outside),
            "row_numbering": "1-based data rows (header not counted; XLSX data row 1 = sheet row 2); "
                             "JSON Lines: 1-based physical line",
            "reason_classes": {"row": ["field_count", "too_long", "control_char", "date_range", "encoding", "json"],
                               "file": ["size_limit", "zip_bomb", "not_text", "empty", "no_header", "symlink",
                                        "not_regular"]},
            "files": self.files,
            "redrop_groups": self.groups,
            "expected_per_channel": per,
            "expected_items_total": sum(p["items_new"] for p in per.values()),
            "never_loaded_markers": self.never,
            "secrets": secrets,
            "secrets_as_written": sorted(set(self.g.written)),
        }


def _csv_one(v) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([_txt(v)])
    return buf.getvalue()


def build(landing: pathlib.Path, run_date: dt.date, seed: int = 0) -> dict:
    landing = pathlib.Path(landing)
    for c in CHANNELS:
        (landing / c / "incoming").mkdir(parents=True, exist_ok=True)
    corpus = _Corpus(landing, run_date, seed)
    corpus.build()
    man = corpus.manifest(seed)
    # mtimes: well in the past (files have "stopped changing"), oldest first in manifest order
    # so that each re-drop group's original is the oldest file of its group.
    base = time.time() - 3 * 3600
    for i, f in enumerate(man["files"]):
        p = landing / f["path"]
        os.utime(p, (base + 10 * i, base + 10 * i), follow_symlinks=False)
    (landing / "manifest.json").write_text(json.dumps(man, ensure_ascii=False, indent=1, default=str), "utf-8")
    return man


if __name__ == "__main__":                      # python hostile_corpus.py <landing> [YYYY-MM-DD] [seed]
    import sys
    root = pathlib.Path(sys.argv[1])
    day = dt.date.fromisoformat(sys.argv[2]) if len(sys.argv) > 2 else dt.date.today()
    m = build(root, day, int(sys.argv[3]) if len(sys.argv) > 3 else 0)
    print(json.dumps(m["expected_per_channel"], ensure_ascii=False, indent=1))
