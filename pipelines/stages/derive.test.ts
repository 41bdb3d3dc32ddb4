import { describe, expect, it } from 'vitest';
import { category } from '../../schemas/registry.ts';
import type { Fields } from '../types.ts';
import { deriveMissing } from './derive.ts';

const derived = (id: 'penalty' | 'rnd' | 'agri', fields: Fields) => {
  const f = { ...fields };
  const notes: { code: string; field: string; value: string }[] = [];
  deriveMissing(category(id), f, notes as never);
  return { fields: f, notes };
};

describe('处罚类别 from 行政处罚内容 and 罚款金额', () => {
  it.each([
    ['罚款人民币贰万元整', undefined, ['罚款']],
    ['给予警告，并处罚款2000元', '0.2', ['警告', '罚款']],
    ['没收违法所得、没收非法财物', undefined, ['没收违法所得', '没收非法财物']],
    ['吊销营业执照', undefined, ['吊销许可证件']],
    ['责令停产停业整顿', undefined, ['责令停产停业']],
    ['责令改正', '1.5', ['罚款']],
  ])('%s (罚款金额 %s)', (content, fine, kinds) => {
    const r = derived('penalty', { content, ...(fine && { fine_amount: fine }) });
    expect(r.fields.penalty_kinds).toEqual(kinds);
    expect(r.notes).toEqual([expect.objectContaining({ code: 'W_DERIVED', field: 'penalty_kinds', value: kinds.join('、') })]);
  });

  it('leaves it empty when nothing is named, when the content negates, or when it was given', () => {
    expect(derived('penalty', { content: '责令改正' }).fields.penalty_kinds).toBeUndefined();
    expect(derived('penalty', { content: '责令改正', fine_amount: '0' }).fields.penalty_kinds).toBeUndefined();
    expect(derived('penalty', { content: '不予行政处罚，免予罚款', fine_amount: '0' }).fields.penalty_kinds).toBeUndefined();
    expect(derived('penalty', { content: '罚款', penalty_kinds: ['警告'] }).fields.penalty_kinds).toEqual(['警告']);
  });
});

describe('科研支持类别 from 获得科研支持信息', () => {
  it('classifies a text that names exactly one support type, by its value or an alias', () => {
    expect(derived('rnd', { support_info: '2023年获批山东省企业重点实验室' }).fields.support_type).toBe('实验室建设');
    expect(derived('rnd', { support_info: '获临沂市科技项目资金50万元' }).fields.support_type).toBe('政府资金支持');
    expect(derived('rnd', { support_info: '参与团体标准制定' }).fields.support_type).toBe('参与标准制定');
  });

  it('keeps several types or none unclassified, the text itself stays', () => {
    const r = derived('rnd', { support_info: '实验室建设、政府资金支持' });
    expect(r.fields).toEqual({ support_info: '实验室建设、政府资金支持' });
    expect(derived('rnd', { support_info: '入选沂蒙英才计划' }).fields.support_type).toBeUndefined();
  });
});

describe('权利类型 from 权证编号', () => {
  it('reads the right a certificate number names, and nothing from one that names none', () => {
    expect(derived('agri', { right_cert_no: '鲁（2023）沂南县农村土地经营权第0001234号' }).fields.right_type).toBe('农村土地经营权');
    expect(derived('agri', { right_cert_no: '沂南县农房财产权证第12号' }).fields.right_type).toBe('农民住房财产权');
    expect(derived('agri', { right_cert_no: '鲁（2021）兰陵县不动产权第0007788号' }).fields.right_type).toBeUndefined();
  });
});

describe('所在地行政区划代码 from 所在地', () => {
  it.each([
    ['临沂市沂南县界湖街道', '371321'], ['兰陵县向城镇', '371324'], ['苍山县（今兰陵县）某村', '371324'], ['费县上冶镇', '371325'],
    ['临沂高新技术产业开发区马厂湖镇', '371371'], ['临沂市兰山区', '371302'],
  ])('%s -> %s', (location, code) => {
    expect(derived('agri', { location }).fields.division_code).toBe(code);
  });

  it('leaves it empty outside 临沂 and keeps a given code', () => {
    expect(derived('agri', { location: '济南市历城区' }).fields.division_code).toBeUndefined();
    expect(derived('agri', { location: '沂南县', division_code: '371300' }).fields.division_code).toBe('371300');
  });
});
